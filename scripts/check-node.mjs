// Fails loudly on the wrong Node: pg-boss and kysely run on Node 20 too, so nothing else would.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(`Node ${process.versions.node} found; Flux Klein needs Node >= 22.12. Run this through npm (npm test / npm start), which puts the project's Node 22 (the "node" package) first on PATH.`);
  process.exit(1);
}
console.log(`node ${process.versions.node}`);
