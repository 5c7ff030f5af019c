#!/usr/bin/env bash
# The action's main step: runs perf-gate as the inputs say and records its exit code instead of
# failing, so that the reports are uploaded before the last step fails the job.
set -euo pipefail

out="$PERF_GATE_OUT"
common=(--out-dir "$out")
if [[ -n "$INPUT_CONFIG" ]]; then
  common+=(--config "$INPUT_CONFIG")
fi
# The report artifact's name, as the upload step gets it below: the comment names it.
name="$(printf '%s' "${INPUT_COMMENT_ID:-}" | tr -c 'A-Za-z0-9._-' '-')"
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
  check+=(--report-artifact "perf-gate-report${name:+-$name}")
else
  check+=(--no-comment)
  # The artifact this job uploads carries the branch's last runs: this one and the previous
  # artifact's.
  if [[ "$INPUT_WINDOW" -gt 1 ]]; then
    check+=(--extend-window "${GITHUB_REF_NAME:-${INPUT_BASELINE:-main}}" --window "$INPUT_WINDOW")
  fi
fi
# Split on whitespace, like a command line without quotes.
read -r -a extra <<<"$INPUT_ARGS"
# Where the other side comes from. A shard pairs its part with the base commit (paired, auto),
# or screens it against the stored baseline and confirms its suspects (confirm, or auto when
# pairing does not fit), or measures it alone (artifact); the merge checks the files.
compare=()
shard_compare=()
if [[ "$INPUT_COMMAND" == gate ]]; then
  compare=(--compare "$INPUT_COMPARE" --time-limit "$INPUT_TIME_BUDGET")
  # Only a pull request has a base commit to pair with; on a push a shard measures alone.
  if [[ "$INPUT_COMPARE" != artifact && "${GITHUB_EVENT_NAME:-}" == pull_request* ]]; then
    shard_compare=("${compare[@]}" "${baseline[@]}")
  fi
fi

# The merge job. Every shard's results.json is merged. A shard that paired its whole part left
# baseline/results.json beside it; one that confirmed suspects left paired/results.json too.
# When every shard paired, the merged sides are checked against each other; else the merged
# suite is screened against the stored baseline and the shards' rounds decide for what they
# measured.
merge_shards() {
  local shards dir rounds=() bases=() confirming=0
  mapfile -t shards < <(find "$PERF_GATE_SHARDS" -mindepth 2 -maxdepth 2 -name results.json | sort)
  if [[ ${#shards[@]} -eq 0 ]]; then
    echo "::error title=cargo-perf-gate action::no shard results under $PERF_GATE_SHARDS: did the shard jobs upload perf-gate-shard-* artifacts in this run?"
    return 2
  fi
  for file in "${shards[@]}"; do
    dir="$(dirname "$file")"
    if [[ -f "$dir/paired/results.json" && -f "$dir/baseline/results.json" ]]; then
      rounds+=("$dir/paired/results.json")
      bases+=("$dir/baseline/results.json")
      confirming=$((confirming + 1))
    elif [[ -f "$dir/baseline/results.json" ]]; then
      rounds+=("$file")
      bases+=("$dir/baseline/results.json")
    fi
  done
  cargo-perf-gate perf-gate merge "${shards[@]}" -o "$out/results.json" || return
  if [[ ${#bases[@]} -gt 0 ]]; then
    cargo-perf-gate perf-gate merge --partial "${rounds[@]}" -o "$PERF_GATE_SHARDS/paired.json" || return
    cargo-perf-gate perf-gate merge --partial "${bases[@]}" -o "$PERF_GATE_SHARDS/paired-baseline.json" || return
  fi
  if [[ ${#bases[@]} -eq ${#shards[@]} && $confirming -eq 0 ]]; then
    baseline=(--baseline "$PERF_GATE_SHARDS/paired-baseline.json")
  elif [[ ${#bases[@]} -gt 0 && ${#baseline[@]} -gt 0 ]]; then
    baseline+=(--paired-results "$PERF_GATE_SHARDS/paired.json" --paired-baseline "$PERF_GATE_SHARDS/paired-baseline.json")
  elif [[ ${#bases[@]} -gt 0 ]]; then
    echo "::warning title=cargo-perf-gate action::${#bases[@]} of ${#shards[@]} shards measured in rounds against the base commit, but there is no baseline input to check the rest against: their rounds are not used"
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
  for file in results.json baseline/results.json paired/results.json; do
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
