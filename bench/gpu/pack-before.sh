#!/bin/bash
# For a before/after benchmark on one GPU call (the call carries at most 64 MiB, one pack is ~47 MB): publishes an
# older commit the way pack.sh does and keeps only the files that differ from the current pack, as
# bench/pack/before.tar.xz (under 1 MB when the package set is the same). Run pack.sh first.
#
#   bash bench/gpu/pack-before.sh COMMIT      # then on the GPU host: bash bench/gpu/run.sh before-after
set -euo pipefail
cd "$(dirname "$0")/../.."
commit=$(git rev-parse "${1:?usage: pack-before.sh COMMIT}")
work=$(mktemp -d); trap 'git worktree remove --force "$work/src" 2>/dev/null; rm -rf "$work"' EXIT
git worktree add -q --detach "$work/src" "$commit"
dotnet publish "$work/src/src/Athanor.Cli" -c Release -r linux-x64 --self-contained -o "$work/pub" -p:PlatformTarget=x64 -nologo -v q
mkdir -p "$work/now" && tar -xJf bench/pack/cluster.tar.xz -C "$work/now"
mkdir -p "$work/stage/cluster"
(cd "$work/pub" && find . -type f ! -name '*.pdb' ! -name 'libtorch*.so' ! -name 'libc10*.so' ! -name 'libgomp*.so*' \
  ! -name 'libbackend_with_compiler.so' ! -name 'lib*_test*.so' ! -path './examples/demo/data/alpaca_en_demo.json' \
  | while read -r f; do cmp -s "$f" "$work/now/cluster/$f" || echo "$f"; done) > "$work/changed"
(cd "$work/pub" && tar -cf - -T "$work/changed") | tar -xf - -C "$work/stage/cluster"
tar -C "$work/stage" -cJf bench/pack/before.tar.xz cluster
echo "$commit" > bench/pack/BEFORE_COMMIT
echo "before: $(wc -l < "$work/changed") files differ, $(du -h bench/pack/before.tar.xz | cut -f1) (commit ${commit:0:7})"
