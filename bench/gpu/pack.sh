#!/bin/bash
# Packs Athanor for a GPU host that has no .NET: a self-contained linux-x64 publish in bench/pack/ (git-ignored),
# without TorchSharp-cpu's libtorch (the host's PyTorch provides a CUDA one), as cluster.tar.xz (~45 MB), plus
# the PyTorch reference benchmark so both run in the same call.
#
#   bash bench/gpu/pack.sh            # then, on the GPU host from a copy of the repo: bash bench/gpu/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
out=bench/pack
rm -rf "$out/cluster" "$out/cluster.tar.xz"
mkdir -p "$out"
dotnet publish src/Athanor.Cli -c Release -r linux-x64 --self-contained -o "$out/cluster" -p:PlatformTarget=x64 -nologo -v q
# The host's libtorch is loaded instead (ATHANOR_LIBTORCH / python3's torch): drop the CPU build and its OpenMP.
find "$out/cluster" \( -name 'libtorch*.so' -o -name 'libc10*.so' -o -name 'libgomp*.so*' -o -name 'libbackend_with_compiler.so' \
  -o -name 'lib*_test*.so' -o -name '*.pdb' -o -name 'libmscordaccore.so' -o -name 'libmscordbi.so' -o -name createdump \) -delete
# A call carries at most 64 MiB with the repository's files (about 20 MB on disk): the runtime's debugger and dump
# helpers go, and with PACK_NO_PLOTS=1 also SkiaSharp and HarfBuzz (the loss plot; bench and memcheck draw none).
[ "${PACK_NO_PLOTS:-0}" = 1 ] && rm -f "$out/cluster/libSkiaSharp.so" "$out/cluster/libHarfBuzzSharp.so"
rm -f "$out/cluster/examples/demo/data/alpaca_en_demo.json"   # the repo copy on the host has it
tar -C "$out" -cJf "$out/cluster.tar.xz" cluster
rm -rf "$out/cluster"
cp bench/reference/torch_llama_bench.py "$out/"
echo "packed: $(du -h "$out/cluster.tar.xz" | cut -f1) $out/cluster.tar.xz (commit $(git rev-parse --short HEAD))"
git rev-parse HEAD > "$out/COMMIT"
