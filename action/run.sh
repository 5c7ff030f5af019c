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
if [[ "$INPUT_COMMAND" == gate ]]; then
  if [[ -n "$INPUT_BASELINE" ]]; then
    check+=(--baseline "$INPUT_BASELINE")
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
# Where the other side comes from; a shard measures its part alone and the merge checks files.
compare=()
if [[ "$INPUT_COMMAND" == gate ]]; then
  compare=(--compare "$INPUT_COMPARE" --time-limit "$INPUT_TIME_BUDGET")
fi

set +e
case "$INPUT_SHARD" in
  "")
    cargo-perf-gate perf-gate run "${common[@]}" "${check[@]}" "${compare[@]}" "${extra[@]}"
    ;;
  merge)
    mapfile -t shards < <(find "$PERF_GATE_SHARDS" -name results.json | sort)
    if [[ ${#shards[@]} -eq 0 ]]; then
      echo "::error title=cargo-perf-gate action::no shard results under $PERF_GATE_SHARDS: did the shard jobs upload perf-gate-shard-* artifacts in this run?"
      (exit 2)
    else
      cargo-perf-gate perf-gate merge "${shards[@]}" -o "$out/results.json" &&
        cargo-perf-gate perf-gate check --results "$out/results.json" "${common[@]}" "${check[@]}"
    fi
    ;;
  *)
    cargo-perf-gate perf-gate run --shard "$INPUT_SHARD" "${common[@]}" "${extra[@]}"
    ;;
esac
code=$?
set -e

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
      echo "results-path=$out/results.json"
      ;;
  esac
} >>"$GITHUB_OUTPUT"
