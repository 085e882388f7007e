#!/usr/bin/env bash
# bench/lighthouse: run Lighthouse (npm, pinned in package.json) in Debian's
# Chromium against the home page, an article, /documents, /search, a crisis
# page and /donate of a running demo, and record the four scores of each in
# bench/RESULTS.md. Run from the repository root:
#   npm ci --prefix bench/lighthouse && bash bench/lighthouse/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
lh=bench/lighthouse/node_modules/.bin/lighthouse
[ -x "$lh" ] || { echo "run: npm ci --prefix bench/lighthouse" >&2; exit 1; }
export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}

tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/coalition" ./cmd/coalition
"$tmp/coalition" demo --addr 127.0.0.1:0 --data "$tmp/data" --log-level error >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 1 100); do grep -q "running at" "$tmp/out" 2>/dev/null && break; sleep 0.2; done
base=$(grep -o 'http://[^ ]*' "$tmp/out" | head -n1)

# Pages: fixed paths plus the first article and crisis linked from the site.
first() { curl -s "$base$1" | grep -o "href=\"$2[^\"#?]*\"" | grep -v '\.pdf"\|/print"\|/email"\|feed.atom\|\.css"' | head -n1 | sed 's/href="//;s/"$//' || true; }
article=$(first / /articles/)
crisis=$(first /crises /crises/)
pages=("/" "${article:-}" "/documents" "/search?q=protection" "${crisis:-}" "/donate")

rows=""
for p in "${pages[@]}"; do
  [ -n "$p" ] || continue
  code=$(curl -s -o /dev/null -w '%{http_code}' "$base$p")
  if [ "$code" != "200" ]; then rows+="| \`$p\` | – | – | – | – | not served by this build ($code) |"$'\n'; continue; fi
  lhrun() {
    "$lh" "$base$p" --quiet --output=json --output-path="$tmp/lh.json" \
      --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run" \
      --only-categories=performance,accessibility,best-practices,seo --form-factor=mobile >/dev/null 2>"$tmp/lh.err"
  }
  # Chromium now and then fails to start under load: one retry.
  lhrun || lhrun || { rows+="| \`$p\` | – | – | – | – | lighthouse failed: $(tail -n1 "$tmp/lh.err" | tr '|' ' ') |"$'\n'; continue; }
  rows+=$(node -e '
    const r = require(process.argv[1]);
    const c = r.categories, s = k => Math.round(c[k].score * 100);
    const low = [];
    for (const k of ["performance","accessibility","best-practices","seo"]) {
      for (const ref of c[k].auditRefs) {
        const a = r.audits[ref.id];
        if (ref.weight > 0 && a.score !== null && a.score < 1) low.push(k + ": " + a.title);
      }
    }
    console.log("| `" + process.argv[2] + "` | " + s("performance") + " | " + s("accessibility") + " | " + s("best-practices") + " | " + s("seo") + " | " + (low.join("; ") || "–") + " |");
  ' "$tmp/lh.json" "$p")$'\n'
done
ver=$("$lh" --version)
section="## Lighthouse (issue 8)

\`bash bench/lighthouse/run.sh\` — $(date -u +%F), Lighthouse $ver, mobile form factor with simulated throttling, Debian Chromium, demo data on SQLite, loopback.

| page | performance | accessibility | best practices | SEO | audits below full marks |
|---|---|---|---|---|---|
$rows"
echo "$section"
echo "$section" | go run ./bench/internal/writesection -file bench/RESULTS.md -name lighthouse
