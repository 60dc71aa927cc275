import { InvariantError } from '../core/errors.js';

/**
 * The policies of one kind (autoscaling, routing, batching) by the name a scenario writes, in the
 * order they were added: the built-in ones first, in the order their errors and the scenario
 * reference list them.
 */
export class PolicyRegistry<Definition extends { readonly name: string }> {
  readonly #byName = new Map<string, Definition>();
  #version = 0;

  constructor(
    readonly kind: string,
    builtIn: readonly Definition[],
  ) {
    for (const definition of builtIn) this.add(definition);
  }

  add(definition: Definition): void {
    if (this.#byName.has(definition.name)) {
      throw new TypeError(`${this.kind} policy "${definition.name}" is already registered`);
    }
    this.#byName.set(definition.name, definition);
    this.#version++;
  }

  /** The definition of a policy the schema accepted: a name it does not know is a bug. */
  get(name: string): Definition {
    const definition = this.#byName.get(name);
    if (definition === undefined) throw new InvariantError(`no ${this.kind} policy is named "${name}"`);
    return definition;
  }

  /** The definition named `name`, or undefined: for what reads a scenario before the schema has. */
  find(name: string): Definition | undefined {
    return this.#byName.get(name);
  }

  list(): Definition[] {
    return [...this.#byName.values()];
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }

  /** Changes whenever a policy is added, so that what is built from the list can be rebuilt. */
  get version(): number {
    return this.#version;
  }
}
