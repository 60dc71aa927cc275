/**
 * The examples each command's `--help` shows, on the scenarios and traces fleetsim ships
 * (`scenarios/`, `traces/`): a reader can paste them from the package folder. Words are
 * separated by single spaces and never quoted, so each line splits into its arguments as a shell
 * would split it.
 */
export const EXAMPLES = {
  run: [
    ['$0 run', 'the built-in demo, outputs in out/chat-demo'],
    ['$0 run scenarios/spot-autoscaling.yaml --seed 12 --replications 5', 'five seeds, mean and 95 % CI'],
    ['$0 run scenarios/demo.yaml --set fleets.0.replicas=6 --out out/six', 'one key changed, own folder'],
  ],
  report: [['$0 report out/chat-demo', 'redraw the charts and report.html of a finished run']],
  compare: [
    [
      '$0 compare scenarios/demo.yaml scenarios/h100-l40s-tpu.yaml --replications 3',
      'two files (and their variants) against the first, three seeds each',
    ],
  ],
  validate: [
    ['$0 validate scenarios/edge-offload.yaml', 'check a scenario without running it'],
    ['$0 validate --json scenarios/h100-l40s-tpu.yaml', 'the verdict as JSON, for editors and CI'],
  ],
  sweep: [
    ['$0 sweep scenarios/h100-l40s-tpu.yaml', 'its sweep: section, outputs in out/h100-l40s-tpu-sweep'],
    [
      '$0 sweep scenarios/demo.yaml --grid fleets.0.replicas=2..8 --workers 4 --out out/replicas',
      'a sweep from the command line on four threads',
    ],
    ['$0 sweep scenarios/h100-l40s-tpu.yaml --shard 0/4 --out out/shard-0', 'the first of four slices'],
  ],
  plan: [
    ['$0 plan scenarios/h100-l40s-tpu.yaml', 'the cheapest choice of its sweep: that meets its slo:'],
    [
      '$0 plan scenarios/spot-autoscaling.yaml --vary fleets.1.replicas=1..4 --replications 3 --check',
      'exit 3 when no choice meets the objective',
    ],
  ],
  calibrate: [
    [
      '$0 calibrate out/chat-demo/requests.jsonl --scenario scenarios/demo.yaml --out out/calibrated',
      'fit step times to the requests.jsonl of a run (fleetsim run --requests) or of a real server',
    ],
  ],
  merge: [['$0 merge out/shard-0 out/shard-1 out/shard-2 out/shard-3', 'the four shards of one sweep']],
  schema: [['$0 schema', 'the JSON Schema of scenario files, for editors']],
  'catalog list': [
    ['$0 catalog list --accelerator h100-80gb', 'every H100 instance type, cheapest first'],
    ['$0 catalog list --provider gcp --max-price 5 --json', 'as JSON'],
  ],
  'catalog show': [['$0 catalog show aws/p5.4xlarge', 'its hardware, regions and prices, with sources']],
  'catalog import': [
    [
      '$0 catalog import --base pricing/aws.yaml --from aws-price-list=offer.json --out my-aws.yaml',
      'refresh the AWS prices from a price list you downloaded',
    ],
  ],
  'trace stats': [
    ['$0 trace stats traces/azure-llm-2023-conv.csv', 'requests, rate and token percentiles'],
    ['$0 trace stats --columns traces/azure-llm-2023-conv.csv', 'its columns and what each becomes'],
  ],
} as const satisfies Record<string, readonly (readonly [string, string])[]>;

export type CommandName = keyof typeof EXAMPLES;
