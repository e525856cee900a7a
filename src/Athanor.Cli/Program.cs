using TorchSharp;
var t = torch.ones(2, 3) * 2;
Console.WriteLine($"sum={t.sum().item<float>()} threads={torch.get_num_threads()}");
