#!/usr/bin/env bash
# Starts diffseg as N processes per machine through torchrun (data-parallel `train`, cohort `infer`).
#
#   bash scripts/launch.sh --nproc 2 -- train --config configs/amos_ct.yaml --data data/amos_ct --out runs/a
#   # machine 0 of 2 (machine 1: --node-rank 1), both reaching HOST:29500:
#   bash scripts/launch.sh --nproc 8 --nnodes 2 --node-rank 0 --master-addr HOST -- train ...
#
# Debian 12's torchrun (python3-torch 1.13) takes the binary only with --no_python and crashes on Python 3.11
# unless given --redirects and --tee; newer torchrun versions accept the same flags, so this one command line
# works with both. DIFFSEG_BIN overrides the binary (default: build/apps/diffseg/diffseg).
set -euo pipefail
cd "$(dirname "$0")/.."
nproc=1 nnodes=1 node_rank=0 master_addr=127.0.0.1 master_port=29500
while (($#)); do
  case "$1" in
    --nproc) nproc=$2; shift 2 ;;
    --nnodes) nnodes=$2; shift 2 ;;
    --node-rank) node_rank=$2; shift 2 ;;
    --master-addr) master_addr=$2; shift 2 ;;
    --master-port) master_port=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "launch.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
(($#)) || { echo "launch.sh: give the diffseg command after --, e.g. -- train --config ..." >&2; exit 2; }
bin=${DIFFSEG_BIN:-build/apps/diffseg/diffseg}
[[ -x $bin ]] || { echo "launch.sh: $bin not found: build first (bash scripts/build.sh)" >&2; exit 2; }
command -v torchrun >/dev/null || { echo "launch.sh: torchrun not found (apt-get install python3-torch, or pip install torch)" >&2; exit 2; }
exec torchrun --nnodes "$nnodes" --node_rank "$node_rank" --nproc_per_node "$nproc" \
  --master_addr "$master_addr" --master_port "$master_port" \
  --no_python --redirects 1 --tee 1 "$bin" "$@"
