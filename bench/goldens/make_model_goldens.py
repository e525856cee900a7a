#!/usr/bin/env python3
"""Makes the Hugging Face reference files that Athanor's model tests compare against.

For each tiny, random-weight model family (Llama, Llama 3 rope scaling, Qwen2 with biases and tied
embeddings, Qwen3 with q/k norms, Mistral with a sliding window) it writes, under OUT/<name>/:
  config.json, model.safetensors    the model exactly as transformers saves it (fp32)
  golden.safetensors                input_ids [2, T] (int64) and logits [2, T, V] (fp32, eager attention)
  generate.json                     greedy continuation of the first 8 tokens of each row
and for Llama a PEFT LoRA adapter (plain and rsLoRA) with the logits it gives.

Run on a machine with torch, transformers and peft (the GPU host has them):
    python3 bench/goldens/make_model_goldens.py OUT_DIR
then copy OUT_DIR/* to tests/Athanor.Core.Tests/TestData/Models/. It records the versions used in
OUT/versions.json. Everything runs on CPU in fp32, deterministically from fixed seeds.
"""
import json, os, platform, sys

import torch
import transformers
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, LlamaConfig, MistralConfig, Qwen2Config, Qwen3Config

OUT = sys.argv[1] if len(sys.argv) > 1 else "goldens-out"
T = 24
COMMON = dict(hidden_size=64, intermediate_size=160, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, vocab_size=320, max_position_embeddings=256, rms_norm_eps=1e-6,
              bos_token_id=1, eos_token_id=2, pad_token_id=0)

CONFIGS = {
    "llama": LlamaConfig(**COMMON, rope_theta=10000.0, tie_word_embeddings=False),
    "llama3": LlamaConfig(**{**COMMON, "max_position_embeddings": 512}, rope_theta=500000.0,
                          rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                        "high_freq_factor": 4.0, "original_max_position_embeddings": 32},
                          tie_word_embeddings=False),
    "qwen2": Qwen2Config(**COMMON, rope_theta=1000000.0, tie_word_embeddings=True),
    "qwen3": Qwen3Config(**COMMON, head_dim=32, rope_theta=1000000.0, tie_word_embeddings=True,
                         attention_bias=False),
    "mistral": MistralConfig(**COMMON, rope_theta=10000.0, sliding_window=8, tie_word_embeddings=False),
}


def build(name, cfg):
    torch.manual_seed(1234)
    model = AutoModelForCausalLM.from_config(cfg, attn_implementation="eager").float().eval()
    # Random init leaves norms at 1 and biases at 0; perturb them so those paths are really tested.
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if "norm" in pname or pname.endswith(".bias"):
                p.add_(torch.randn_like(p) * 0.1)
    return model


def run(model, ids):
    with torch.no_grad():
        return model(input_ids=ids).logits.float().contiguous()


def main():
    os.makedirs(OUT, exist_ok=True)
    gen = torch.Generator().manual_seed(99)
    for name, cfg in CONFIGS.items():
        d = os.path.join(OUT, name)
        os.makedirs(d, exist_ok=True)
        model = build(name, cfg)
        model.save_pretrained(d, safe_serialization=True)
        ids = torch.randint(3, cfg.vocab_size, (2, T), generator=gen)
        save_file({"input_ids": ids.contiguous(), "logits": run(model, ids)}, os.path.join(d, "golden.safetensors"))
        with torch.no_grad():
            out = model.generate(input_ids=ids[:, :8], attention_mask=torch.ones_like(ids[:, :8]),
                                 max_new_tokens=16, do_sample=False, eos_token_id=None, pad_token_id=0)
        with open(os.path.join(d, "generate.json"), "w") as f:
            json.dump({"prompt_ids": ids[:, :8].tolist(), "output_ids": out.tolist()}, f)
        if name == "llama":
            make_lora(model, ids, d)
        print(name, "ok", flush=True)
    import peft
    with open(os.path.join(OUT, "versions.json"), "w") as f:
        json.dump({"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__,
                   "python": platform.python_version(), "machine": platform.node(),
                   "command": "python3 bench/goldens/make_model_goldens.py " + OUT}, f, indent=1)


def make_lora(base, ids, d):
    import copy
    from peft import LoraConfig, get_peft_model
    targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    for sub, rs in (("lora", False), ("rslora", True)):
        torch.manual_seed(7)
        peft_model = get_peft_model(copy.deepcopy(base), LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0,
                                                                    target_modules=targets, use_rslora=rs))
        with torch.no_grad():  # PEFT zero-inits B; give it values so the adapter changes the output
            for pname, p in peft_model.named_parameters():
                if "lora_B" in pname:
                    p.copy_(torch.randn_like(p) * 0.05)
        peft_model.eval()
        out = os.path.join(d, sub)
        peft_model.save_pretrained(out)
        with torch.no_grad():
            logits = peft_model(input_ids=ids).logits.float().contiguous()
        save_file({"input_ids": ids.contiguous(), "logits": logits}, os.path.join(out, "golden.safetensors"))


if __name__ == "__main__":
    main()
