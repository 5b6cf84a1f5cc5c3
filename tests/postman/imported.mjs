// node imported.mjs SCHEMA.json OUT.json
// What a Postman user gets from Import → Link → <server>/api/schema/: the
// collection openapi-to-postmanv2 (the converter behind Postman's importer)
// makes of the OpenAPI document, with the examples as request values. So that
// newman can run it unchanged in order, each folder's DELETE goes last, and
// every request gets one assertion: the status is the operation's documented
// success (the first 2xx it lists).
import fs from 'node:fs';
import Converter from 'openapi-to-postmanv2';

const [schemaFile, outPath] = process.argv.slice(2);
const spec = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
const options = {
  folderStrategy: 'Paths',
  requestParametersResolution: 'Example',
  exampleParametersResolution: 'Example',
};

function success(method, path) {
  const op = spec.paths[path]?.[method.toLowerCase()];
  if (!op) throw new Error(`${method} ${path}: not in the schema`);
  const code = Object.keys(op.responses).find((c) => c.startsWith('2'));
  if (!code) throw new Error(`${method} ${path}: no 2xx documented`);
  return Number(code);
}

// Postman's URL ["api", "task", ":id", ""] back to the schema's /api/task/{id}/.
function schemaPath(url) {
  const segments = url.path.map((s) => (s.startsWith(':') ? `{${s.slice(1)}}` : s));
  return `/${segments.join('/')}`;
}

let requests = 0;
function arrange(items) {
  for (const item of items) {
    if (item.item) {
      arrange(item.item);
      item.item.sort((a, b) => (a.request?.method === 'DELETE') - (b.request?.method === 'DELETE'));
      continue;
    }
    const { method, url } = item.request;
    const expected = success(method, schemaPath(url));
    item.event = [{
      listen: 'test',
      script: {
        type: 'text/javascript',
        exec: [`pm.test(${JSON.stringify(`${method} ${schemaPath(url)}: ${expected}`)}, () => pm.response.to.have.status(${expected}));`],
      },
    }];
    requests += 1;
  }
}

Converter.convert({ type: 'json', data: spec }, options, (error, conversion) => {
  if (error || !conversion.result) {
    console.error('conversion failed:', error || conversion.reason);
    process.exit(1);
  }
  const collection = conversion.output[0].data;
  arrange(collection.item);
  const operations = Object.values(spec.paths)
    .flatMap((item) => Object.keys(item).filter((k) => k !== 'parameters')).length;
  if (requests !== operations) {
    console.error(`the collection has ${requests} requests for ${operations} operations`);
    process.exit(1);
  }
  fs.writeFileSync(outPath, JSON.stringify(collection, null, 1));
  console.log(`imported: ${requests} requests, one per operation`);
});
