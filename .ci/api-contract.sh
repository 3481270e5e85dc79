#!/usr/bin/env bash
# API contract: schemathesis fuzzes every operation of /api/v1/schema/ against a live
# server (fresh SQLite database, migrated, demo data, a token for an admin) and fails
# on any 500 or any response that does not match the schema.
#
#   bash .ci/api-contract.sh                 # from the repository root, venv at ./.venv
#   API_CONTRACT_EXAMPLES=20 bash .ci/api-contract.sh      # a bigger example budget
#   API_CONTRACT_PHASES=coverage,fuzzing bash .ci/api-contract.sh   # every boundary value too
#   API_CONTRACT_ARGS="--include-path-regex timesheets" bash .ci/api-contract.sh
set -euo pipefail

cd "$(dirname "$0")/.."
PY=.venv/bin/python
EXAMPLES="${API_CONTRACT_EXAMPLES:-10}"
# "fuzzing" sends random valid and invalid values, EXAMPLES per operation (about a minute).
# "coverage" adds every boundary and malformed value of every parameter: thorough, but
# some 5000 requests (3-4 minutes); run it before a release or after a schema change.
PHASES="${API_CONTRACT_PHASES:-fuzzing}"

WORKDIR="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORKDIR"
}
trap cleanup EXIT

export DJANGO_SETTINGS_MODULE=config.settings.test
export DATABASE_URL="sqlite:///$WORKDIR/db.sqlite3"
export MEDIA_ROOT="$WORKDIR/media"
export AXES_ENABLED=false
# Fuzzing sends nonsense on purpose; keep the 400s out of the log.
export LOG_LEVEL=ERROR

echo "--- fresh database in $WORKDIR"
"$PY" manage.py migrate --noinput -v 0
if "$PY" manage.py help seed_demo >/dev/null 2>&1; then
    "$PY" manage.py seed_demo >/dev/null || echo "seed_demo failed; fuzzing an empty database"
fi
"$PY" manage.py shell -c "
from django.contrib.auth import get_user_model
User = get_user_model()
user, _ = User.objects.get_or_create(username='api-contract', defaults={'is_staff': True, 'is_superuser': True})
user.is_staff = user.is_superuser = True
user.set_password('api-contract-password')
user.save()
"
TOKEN="$("$PY" manage.py create_api_token api-contract)"

PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
echo "--- server on $BASE"
"$PY" -m gunicorn config.wsgi:application --bind "127.0.0.1:$PORT" --workers 2 \
    --timeout 60 --log-level warning >"$WORKDIR/server.log" 2>&1 &
SERVER_PID=$!

for _ in $(seq 1 60); do
    if "$PY" -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=2)" \
        "$BASE/healthz" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "the server did not start:"
        cat "$WORKDIR/server.log"
        exit 1
    fi
    sleep 0.5
done

# The schema is for signed-in callers only: fetch it with the token, fuzz from the file.
"$PY" -c "
import sys, urllib.request
request = urllib.request.Request(sys.argv[1], headers={'Authorization': 'Token ' + sys.argv[2]})
open(sys.argv[3], 'wb').write(urllib.request.urlopen(request, timeout=30).read())
" "$BASE/api/v1/schema/" "$TOKEN" "$WORKDIR/schema.yaml"

echo "--- schemathesis: every operation, $EXAMPLES examples each"
status=0
.venv/bin/schemathesis run "$WORKDIR/schema.yaml" --url "$BASE" \
    --header "Authorization: Token $TOKEN" \
    --checks not_a_server_error,response_schema_conformance \
    --phases "$PHASES" \
    --max-examples "$EXAMPLES" \
    --workers 1 \
    --seed 20260301 \
    --no-shrink \
    --request-timeout 30 \
    --suppress-health-check all \
    ${API_CONTRACT_ARGS:-} \
    || status=$?

if [[ $status -ne 0 ]]; then
    echo "--- server log (tail)"
    grep -v -E "^(Bad Request|Not Found|Conflict|Forbidden|Unauthorized): " "$WORKDIR/server.log" | tail -n 200 || true
    echo "API contract FAILED (schemathesis exit $status)"
    exit "$status"
fi
echo "API contract passed"
