#!/bin/sh
# Makes the local stack's API token (deploy/local/token, git-ignored): 32 random bytes as hex, readable by its owner
# only. An existing token is kept, so clients that already use it keep working. Run it once before `docker compose up`.
#   sh deploy/local/make-token.sh [FILE]
set -eu
file=${1:-$(dirname "$0")/token}
if [ -s "$file" ]; then
  echo "token kept: $file"
  exit 0
fi
umask 077
od -An -vtx1 -N32 /dev/urandom | tr -d ' \n' > "$file.tmp"
mv "$file.tmp" "$file"
echo "token written: $file"
