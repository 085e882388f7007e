#!/usr/bin/env bash
# bench/security: run sqlmap (Debian package) against the search, filter,
# sign-in and subscribe endpoints of a running demo instance on loopback and
# record what it finds in bench/RESULTS.md. Run from the repository root:
#   bash bench/security/run.sh            (apt-get install -y sqlmap first)
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v sqlmap >/dev/null || { echo "sqlmap is not installed: apt-get install -y sqlmap" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; mkdir -p bench/out; cp "$tmp"/*.log bench/out/ 2>/dev/null; rm -rf "$tmp"' EXIT
go build -o "$tmp/coalition" ./cmd/coalition
"$tmp/coalition" demo --addr 127.0.0.1:0 --data "$tmp/data" --log-level error >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 1 100); do grep -q "running at" "$tmp/out" 2>/dev/null && break; sleep 0.2; done
base=$(grep -o 'http://[^ ]*' "$tmp/out" | head -n1)
echo "target: $base"

# A browser-like session: the CSRF cookie and token the forms need.
jar="$tmp/jar"
token() { curl -s -c "$jar" -b "$jar" "$base$1" | grep -o 'name="csrf_token" value="[^"]*"' | head -n1 | sed 's/.*value="//;s/"$//'; }
cookie() { awk '$6 == "coalition_csrf" { print "coalition_csrf=" $7 }' "$jar"; }

results="$tmp/results.md"
: >"$results"
scan() { # name, sqlmap arguments…
  local name=$1; shift
  local out="$tmp/sqlmap-$(echo "$name" | tr -c 'A-Za-z0-9' '_')"
  echo "sqlmap: $name"
  sqlmap --batch --level=3 --risk=2 --threads=4 --ignore-code=400,401,403,429 --disable-coloring --output-dir="$out" --flush-session "$@" >"$out.log" 2>&1 || true
  local verdict="nothing injectable"
  if grep -qiE "is vulnerable|injectable|sqlmap identified the following injection" "$out.log" && ! grep -q "all tested parameters do not appear to be injectable" "$out.log"; then
    verdict="**INJECTABLE — see $out.log**"
  fi
  local tested
  tested=$(grep -cE "testing '" "$out.log" || true)
  echo "| $name | $tested | $verdict |" >>"$results"
}

paths=("/search?q=syria&country=SYR&type=statement&year=2013" "/documents?region=africa&theme=x&crisis=y&type=statement&year=2013&page=1")
for p in "${paths[@]}"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "$base${p%%\?*}")
  if [ "$code" = "200" ]; then
    scan "GET ${p%%\?*}" -u "$base$p"
  else
    echo "| GET ${p%%\?*} | – | not served by this build ($code) |" >>"$results"
  fi
done

t=$(token /login)
scan "POST /login" -u "$base/login" --data "email=a%40example.org&password=x&next=%2F&csrf_token=$t" \
  --cookie="$(cookie)" -p "email,password,next"
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/subscribe")
if [ "$code" = "200" ]; then
  t=$(token /subscribe)
  scan "POST /subscribe" -u "$base/subscribe" --data "email=a%40example.org&name=x&csrf_token=$t" --cookie="$(cookie)" -p "email,name"
else
  echo "| POST /subscribe | – | not served by this build ($code) |" >>"$results"
fi

ver=$(sqlmap --version 2>/dev/null | grep -E '^[0-9]' | head -n1)
{
  echo "## Security: sqlmap against a running demo (issue 8)"
  echo
  echo "\`bash bench/security/run.sh\` — $(date -u +%F), sqlmap $ver, --level=3 --risk=2, on loopback."
  echo
  echo "| endpoint | payloads tried | result |"
  echo "|---|---|---|"
  cat "$results"
} >"$tmp/section.md"
cat "$tmp/section.md"
go run ./bench/internal/writesection -file bench/RESULTS.md -name security <"$tmp/section.md"
