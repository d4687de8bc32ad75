/** Tells the person who ran `npm start` what to try. */
export function printHowToTry(framework, port) {
  const base = `http://localhost:${port}`;
  console.log(`
OpenSergo demo on ${framework}, listening on ${base}, rules from examples/opensergo.yaml

  Rate limit (at most 10 per second on /foo; the rest get 429 "Blocked by Sentinel"):
    for i in $(seq 30); do curl -s -o /dev/null -w '%{http_code} ' ${base}/foo; done; echo

  See the fallback response and its header:
    for i in $(seq 11); do curl -s -i ${base}/foo; done | tail -n 6

  Traffic label (user 12345 on /index is "gray"):
    curl -s -H 'X-User-Id: 12345' ${base}/index
    curl -s -H 'X-User-Id: 1' ${base}/index

Press Ctrl+C to stop.`);
}
