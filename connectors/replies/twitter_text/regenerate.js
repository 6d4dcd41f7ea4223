// Regenerates data.json (see LICENSES.md): run from a folder where `npm install twitter-text@3.1.0`
// was run, with DIR holding `npm install --prefix DIR twemoji-parser@14.0.0`.
// Dump the official twitter-text 3.1.0 regexes/config and twemoji-parser 14.0.0's emoji regex.
const path = require('path');
const R = n => { const m = require('twitter-text/dist/regexp/' + n); return m.default || m; };
const configs = require('twitter-text/dist/configs'); const cfg = configs.default || configs;
const emoji = require(path.resolve(process.argv[2], 'node_modules/twemoji-parser/dist/lib/regex'));
const ttpkg = require('twitter-text/package.json');
const twpkg = require(path.resolve(process.argv[2], 'node_modules/twemoji-parser/package.json'));
const out = {};
for (const n of ['extractUrl', 'validAsciiDomain', 'invalidUrlWithoutProtocolPrecedingChars', 'validTcoUrl', 'invalidChars']) {
  const r = R(n); out[n] = {source: r.source, flags: r.flags};
}
const e = emoji.default || emoji;
out.emoji = {source: e.source, flags: e.flags};
console.log(JSON.stringify({
  generated_from: {'twitter-text': ttpkg.version, 'twemoji-parser': twpkg.version},
  config: cfg.defaults, regexes: out}, null, 1));
