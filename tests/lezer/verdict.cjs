// Prometheus's own PromQL grammar (@prometheus-io/lezer-promql, the one its
// UI uses) on each expression: one JSON string per input line, "OK" or
// "ERR" per output line. Lezer recovers from errors, so an expression is
// refused when its tree holds an error node.
const { parser } = require('@prometheus-io/lezer-promql');
const input = require('fs').readFileSync(0, 'utf8').split('\n').filter((l) => l.length);
const out = [];
for (const line of input) {
  const tree = parser.parse(JSON.parse(line));
  let refused = false;
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) refused = true;
    },
  });
  out.push(refused ? 'ERR' : 'OK');
}
process.stdout.write(out.join('\n') + '\n');
