#!/usr/bin/env bash
# CI: bring up the services a benchmark measures and prove which they are: the local Kafka (jars
# from Maven Central) and the local MariaDB of scripts/services.sh. A GitHub runner has a Docker
# engine, so the workflow must set VITALS_USE_DOCKER=never (services.sh would otherwise start
# docker-compose.yml's Kafka and MySQL 8.4). The status lines go to the job summary; any other
# service fails the step.
set -euo pipefail
cd "$(dirname "$0")/../.."

fail() { echo "::error title=Services::$*"; exit 1; }

[[ "${VITALS_USE_DOCKER:-}" == never ]] \
  || fail "VITALS_USE_DOCKER must be 'never' (got '${VITALS_USE_DOCKER:-}'): the benchmark measures the local Kafka and MariaDB, not Docker's"
bash scripts/services.sh up
status=$(bash scripts/services.sh status)
echo "$status"
{
  echo "### Services measured"
  echo
  echo '```'
  echo "$status"
  echo '```'
  echo
} >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
grep -Eq '^kafka +up .*\(local\)$' <<<"$status" || fail "Kafka is not the local broker of scripts/services.sh: $status"
grep -Eq '^mysql +up .*MariaDB.*\(local\)$' <<<"$status" || fail "the database is not the local MariaDB of scripts/services.sh: $status"
