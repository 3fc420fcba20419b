/** `npm run bench`: every benchmark in turn. Each prints its figures against a baseline measured in the same run. */
const benches: { name: string; load: () => Promise<{ run(): Promise<void> }> }[] = [
  { name: 'generation latency', load: () => import('./generation-latency.js') },
];

for (const b of benches) {
  console.log(`\n=== ${b.name} ===`);
  await (await b.load()).run();
}
process.exit(0);
export {};
