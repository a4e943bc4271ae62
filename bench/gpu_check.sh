#!/usr/bin/env bash
# #18's GPU checks as one script for the device machine (15 minutes of device
# time a session, start included): build against the CUDA LibTorch of its
# PyTorch, then, in the order of what matters most, each step under its own
# time limit so that what finished is kept when a later step runs out:
#   1. every suite's smoke tier with --device cuda, each compared with the
#      same tier on the CPU (bench-compare; the CPU files come with the
#      checkout in results/baselines/ only for the ci tiers, so the smoke
#      tiers are compared with a CPU run made here first);
#   2. the double-descent MLP ci tier stacked (--stack auto: every width in
#      stacks of its 3 seeds on a GPU) and one run per process (--stack off),
#      wall time of each, and each compared with the CPU baseline;
#   3. the grokking MLP stacked against one run at a time: 16 seeds of the ci
#      tier's adamw_lr1e-2_wd0 point (2000 epochs), --stack auto (one stack of
#      16 on a GPU) and --stack off, wall time of each, the two files compared;
#   4. the grokking and matrix-sensing ci tiers, timed, compared with theirs;
#   5. the other suites' ci tiers, timed, compared with theirs.
# The device returns at most 8 files from its $OUT (16 MiB each), so the
# steps write to a work folder (GPU_CHECK_WORK, default /tmp/gpu-check-work,
# emptied first) and OUT
# gets three files, remade after every step so that a call stopped at its
# time limit still returns what finished: summary.txt (a line per step: rc,
# seconds; each comparison's verdict), logs.tar.gz (each step's log,
# nvidia-smi's view) and results.tar.gz (the .h5 files).
#
# Before a device session, bench/check_torch2_headers.py here compiles the
# checkout against LibTorch 2.x headers (C++20), so that the build step below
# does not fail on an API that 1.13 has and 2.x removed.
# On the device, from the checkout's root, with .devdeps packed here first
# (../shared/device/pack-deps.sh) and named in the run's carry; a device
# command may run 10 minutes, and a warm machine goes back 30 s after a call,
# so in three calls one right after the other (the build folder is kept):
#   bash bench/gpu_check.sh "$OUT" build smoke     # about 5-7 minutes
#   bash bench/gpu_check.sh "$OUT" mlp grok        # about 2-4 minutes
#   bash bench/gpu_check.sh "$OUT" ci              # CI_SUITES="..." to pick, CI_LIMIT s each
# Here, to try the script's flow without a GPU (the CPU build in BUILD,
# smoke tiers and the MLP ci tier at 20 epochs):
#   GPU_CHECK_DEVICE=cpu BUILD=build-dev bash bench/gpu_check.sh /tmp/gpu-check smoke mlp grok
set -uo pipefail
back=${1:-${OUT:-/tmp/gpu-check}}  # what comes back: the three files
shift || true
out=${GPU_CHECK_WORK:-${TMPDIR:-/tmp}/gpu-check-work}  # every step's log and files, this call's only
phases=" ${*:-build smoke mlp grok ci} "
device=${GPU_CHECK_DEVICE:-cuda}
wants() { [[ "$phases" == *" $1 "* ]]; }
rm -rf "$out"
mkdir -p "$back" "$out"
summary=$out/summary.txt

# OUT's three files, each written beside and renamed, so none is ever half there
pack() {
  cp "$summary" "$back/summary.txt.tmp" && mv "$back/summary.txt.tmp" "$back/summary.txt"
  (cd "$out" && find . -type f ! -name '*.h5' -print0 | tar -c --null -T - | gzip -1 > "$back/logs.tar.gz.tmp") &&
    mv "$back/logs.tar.gz.tmp" "$back/logs.tar.gz"
  (cd "$out" && find . -type f -name '*.h5' -print0 | tar -c --null -T - | gzip -1 > "$back/results.tar.gz.tmp") &&
    mv "$back/results.tar.gz.tmp" "$back/results.tar.gz"
}
note() {
  echo "[$(date -u +%T)] $*" | tee -a "$summary"
  pack
}
# step NAME SECONDS CMD...: runs CMD under a time limit, its output in NAME.log
step() {
  local name=$1 limit=$2
  shift 2
  local t0=$SECONDS
  timeout "$limit" "$@" > "$out/$name.log" 2>&1
  local rc=$?
  note "$name rc=$rc $((SECONDS - t0)) s$([ $rc = 124 ] && echo ' (time limit)')"
  return $rc
}
# the verdict line of a bench-compare log
verdict() {
  grep -E '^result:' "$out/$1.log" | tail -1 | sed "s/^/  $1: /" | tee -a "$summary"
  pack
}

if [ "$device" = cpu ]; then
  bin=${BUILD:-build}
  quick=1
else
  quick=0
  bin=build-cuda
  # shellcheck disable=SC1091
  source .devdeps/env.sh
fi
if [ "$quick" = 0 ] && wants build; then
  nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || true
  note "torch $(python3 -c 'import torch; print(torch.__version__, torch.version.cuda)')"
  # PyTorch's Linux wheels before 2.6 use the pre-C++11 std::string ABI, and
  # TorchConfig.cmake then builds everything that way: Debian's yaml-cpp and
  # HDF5 C++ (the new ABI) would not link. Said first, so a failed link reads.
  abi=$(python3 -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))' 2>/dev/null)
  note "torch C++11 ABI: ${abi:-unknown}$([ "$abi" = 0 ] && echo ' (pre-C++11: Debian'"'"'s yaml-cpp and HDF5 C++ will not link)')"
  # .devdeps/env.sh puts the PyTorch's CMake prefix first on CMAKE_PREFIX_PATH
  step configure 240 cmake -S . -B "$bin" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGENBENCH_CXX_STANDARD=20 \
    -DCMAKE_CUDA_ARCHITECTURES=90 || exit 1
  step build 420 cmake --build "$bin" --target bench-run bench-compare -j "$(nproc)" || {
    tail -40 "$out/build.log" > "$out/build-tail.log"
    pack
    exit 1
  }
fi
run=$bin/bench-run
compare=$bin/bench-compare

# 1. smoke tiers: the device against the CPU, suite by suite
wants smoke && for suite in configs/*.yaml; do
  name=$(basename "$suite" .yaml)
  step "smoke-reference-cpu-$name" 120 "$run" "$suite" --tier smoke --device cpu --jobs 4 \
    --out "$out/$name-smoke-reference-cpu.h5" --force
  step "smoke-$device-$name" 180 "$run" "$suite" --tier smoke --device "$device" --jobs 2 \
    --out "$out/$name-smoke-$device.h5" --force &&
    step "compare-smoke-$name" 60 "$compare" "$out/$name-smoke-reference-cpu.h5" "$out/$name-smoke-$device.h5"
  [ -f "$out/compare-smoke-$name.log" ] && verdict "compare-smoke-$name"
done

# 2. the stacked MLP sweep against one run per process, on the device
mlp_set=()
[ "$quick" = 1 ] && mlp_set=(--set epochs=20)
wants mlp && for stack in auto off; do
  step "mlp-ci-stack-$stack" 300 "$run" configs/double_descent_mlp.yaml --tier ci --device "$device" --jobs 1 \
    --stack "$stack" "${mlp_set[@]}" --out "$out/double_descent_mlp-ci-$device-stack-$stack.h5" --force
done
if [ "$quick" = 0 ] && wants mlp; then
  for stack in auto off; do
    step "compare-mlp-ci-stack-$stack" 60 "$compare" results/baselines/double_descent_mlp-ci.h5 \
      "$out/double_descent_mlp-ci-$device-stack-$stack.h5"
    verdict "compare-mlp-ci-stack-$stack"
  done
fi

# 3. the stacked grokking MLP against one run at a time (a CPU stacks none of it)
grok_args=(--tier ci --filter point=adamw_lr1e-2_wd0 --filter dtype=float64 --seeds 0-15)
[ "$quick" = 1 ] && grok_args=(--tier ci --filter point=adamw_lr1e-2_wd0 --filter dtype=float64 --seeds 0-3 --set epochs=50)
if wants grok; then
  for stack in auto off; do
    step "grok-stack-$stack" 240 "$run" configs/grokking.yaml "${grok_args[@]}" --device "$device" --jobs 1 \
      --stack "$stack" --out "$out/grokking-seeds-$device-stack-$stack.h5" --force
  done
  step "compare-grok-stack" 60 "$compare" "$out/grokking-seeds-$device-stack-off.h5" \
    "$out/grokking-seeds-$device-stack-auto.h5"
  verdict "compare-grok-stack"
fi

# 4, 5. ci tiers, the most wanted first, each against its CPU baseline
wants ci || exit 0
[ "$quick" = 1 ] && { note "on a CPU: no ci tiers (make regress runs them)"; exit 0; }
: "${CI_SUITES:=grokking matrix_sensing double_descent_linear double_descent_rf benign_overfitting benign_overfitting_kernel benign_overfitting_xor robust_overfitting}"
for name in $CI_SUITES; do
  step "ci-$name" "${CI_LIMIT:-150}" "$run" "configs/$name.yaml" --tier ci --device "$device" --jobs 2 \
    --out "$out/$name-ci-$device.h5" --force
  for base in results/baselines/"$name"-ci*.h5; do
    [ -f "$base" ] || continue
    tag=$(basename "$base" .h5)
    step "compare-$tag" 60 "$compare" "$base" "$out/$name-ci-$device.h5"
    verdict "compare-$tag"
  done
done
note "done"
