#!/usr/bin/env bash
# Regenerates the files of deploy/ that are derived from others: the recording rules that
# depend on deploy/config/assessment.toml (the 基本满意 weight, min_assigned, the score
# weights), the Grafana dashboards' $datasource variable and thresholds (from the same
# file), and the Helm chart's copies of the rules, dashboards and config
# (deploy/helm/hotline-pulse/files/). Run it after editing any of those sources;
# tests/deploy_generated.rs, which holds the generator, fails until you do.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
HOTLINE_REGENERATE=1 cargo test --quiet --test deploy_generated generated_files_follow_their_sources -- --nocapture
