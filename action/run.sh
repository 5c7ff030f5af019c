#!/usr/bin/env bash
# The action's main step: runs perf-gate as the inputs say and records its exit code instead of
# failing, so that the reports are uploaded before the last step fails the job.
set -euo pipefail

out="$PERF_GATE_OUT"
common=(--out-dir "$out")
if [[ -n "$INPUT_CONFIG" ]]; then
  common+=(--config "$INPUT_CONFIG")
fi
check=(--artifact-name "$INPUT_ARTIFACT_NAME")
if [[ "$INPUT_FAIL_ON" == warning ]]; then
  check+=(--strict)
fi
baseline=()
if [[ "$INPUT_COMMAND" == gate ]]; then
  if [[ -n "$INPUT_BASELINE" ]]; then
    baseline=(--baseline "$INPUT_BASELINE")
  fi
  if [[ "$INPUT_COMMENT" != true ]]; then
    check+=(--no-comment)
  fi
  if [[ -n "$INPUT_COMMENT_ID" ]]; then
    check+=(--comment-id "$INPUT_COMMENT_ID")
  fi
else
  check+=(--no-comment)
fi
# Split on whitespace, like a command line without quotes.
read -r -a extra <<<"$INPUT_ARGS"
# Where the other side comes from. A shard pairs its part with the base commit (paired, auto)
# or measures it alone (artifact), and the merge checks the files.
compare=()
shard_compare=()
if [[ "$INPUT_COMMAND" == gate ]]; then
  compare=(--compare "$INPUT_COMPARE" --time-limit "$INPUT_TIME_BUDGET")
  if [[ "$INPUT_COMPARE" == paired || "$INPUT_COMPARE" == auto ]]; then
    shard_compare=("${compare[@]}")
  fi
fi

# The merge job: every shard's results.json, and the baseline/results.json of those that were
# paired. When all were, their merged sides pair shard by shard; else the stored baseline.
merge_shards() {
  local shards paired
  mapfile -t shards < <(find "$PERF_GATE_SHARDS" -mindepth 2 -maxdepth 2 -name results.json | sort)
  mapfile -t paired < <(find "$PERF_GATE_SHARDS" -mindepth 3 -maxdepth 3 -path '*/baseline/results.json' | sort)
  if [[ ${#shards[@]} -eq 0 ]]; then
    echo "::error title=cargo-perf-gate action::no shard results under $PERF_GATE_SHARDS: did the shard jobs upload perf-gate-shard-* artifacts in this run?"
    return 2
  fi
  cargo-perf-gate perf-gate merge "${shards[@]}" -o "$out/results.json" || return
  if [[ ${#paired[@]} -eq ${#shards[@]} ]]; then
    cargo-perf-gate perf-gate merge "${paired[@]}" -o "$PERF_GATE_SHARDS/baseline.json" || return
    baseline=(--baseline "$PERF_GATE_SHARDS/baseline.json")
  elif [[ ${#paired[@]} -gt 0 ]]; then
    echo "::warning title=cargo-perf-gate action::${#paired[@]} of ${#shards[@]} shards were paired with the base commit; the merged suite is checked against the stored baseline instead"
  fi
  cargo-perf-gate perf-gate check --results "$out/results.json" "${common[@]}" "${check[@]}" "${baseline[@]}"
}

set +e
case "$INPUT_SHARD" in
  "")
    cargo-perf-gate perf-gate run "${common[@]}" "${check[@]}" "${baseline[@]}" "${compare[@]}" "${extra[@]}"
    ;;
  merge)
    merge_shards
    ;;
  *)
    cargo-perf-gate perf-gate run --shard "$INPUT_SHARD" "${common[@]}" "${shard_compare[@]}" "${extra[@]}"
    ;;
esac
code=$?
set -e

# A shard's artifact: its results, and the base commit's side when it was paired.
if [[ -n "$INPUT_SHARD" && "$INPUT_SHARD" != merge ]]; then
  mkdir -p "$out/shard"
  for file in results.json baseline/results.json; do
    if [[ -f "$out/$file" ]]; then
      mkdir -p "$(dirname "$out/shard/$file")"
      cp "$out/$file" "$out/shard/$file"
    fi
  done
fi

# A failed gate fails the job unless fail-on is never; anything else (bad input, a bench that
# does not build) always does.
if [[ $code -eq 1 && "$INPUT_FAIL_ON" == never ]]; then
  code=0
fi
name="$(printf '%s' "${INPUT_COMMENT_ID:-}" | tr -c 'A-Za-z0-9._-' '-')"
{
  echo "exit-code=$code"
  case "$INPUT_SHARD" in
    "" | merge)
      echo "upload-report=$([[ "$INPUT_COMMAND" == gate ]] && echo true || echo false)"
      echo "report-artifact=perf-gate-report${name:+-$name}"
      ;;
    *)
      echo "shard-artifact=perf-gate-shard-${INPUT_SHARD/\//-of-}"
      echo "shard-dir=$out/shard"
      echo "results-path=$out/results.json"
      ;;
  esac
} >>"$GITHUB_OUTPUT"
