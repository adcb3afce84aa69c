#!/usr/bin/env bash
# Fails when a layer includes a header of a layer above it or beside it (docs/architecture.md).
# CMake cannot stop this alone because every layer shares the src/ include root.
set -u
src=${1:-$(dirname "$0")/../src}
# allowed[layer]="layers it may include"
declare -A allowed=(
  [common]="common"
  [pki]="common pki"
  [keys]="common pki keys"
  [store]="common pki store"
  [ceremony]="common pki keys ceremony"
  [authority]="common pki keys store authority"
  [server]="common pki keys store authority server"
  [cli]="common pki keys store authority server ceremony cli"
)
bad=0
for layer in "${!allowed[@]}"; do
  [ -d "$src/$layer" ] || continue
  while IFS= read -r line; do
    file=${line%%:*}
    inc=$(sed -n 's/.*#include "\([a-z_]*\)\/.*/\1/p' <<<"${line#*:}")
    [ -n "$inc" ] || continue
    [ -d "$src/$inc" ] || continue
    case " ${allowed[$layer]} " in
      *" $inc "*) ;;
      *) echo "layering violation: $file includes \"$inc/…\" (layer $layer may include: ${allowed[$layer]})"; bad=1 ;;
    esac
  done < <(grep -rn --include='*.h' --include='*.cpp' '#include "' "$src/$layer" | sed 's/:[0-9]*:/:/')
done
# Adapters (keys/software, store/sqlite) are linked only by the composition root (cli/).
if grep -rn --include='*.h' --include='*.cpp' -E '#include "(store/sqlite|keys/software)/' "$src/authority" "$src/server" "$src/pki" 2>/dev/null; then
  echo "layering violation: only cli/ may include adapters"; bad=1
fi
[ "$bad" -eq 0 ] && echo "layering ok"
exit "$bad"
