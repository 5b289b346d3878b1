import { Engine } from "../engine.js";

/** Opens the engine on the command's --store/--models, runs the body, and always closes the store. */
export async function withEngine<T>(
  opts: { store: string; models?: string },
  body: (engine: Engine) => Promise<T>,
): Promise<T> {
  const engine = await Engine.open({ store: opts.store, models: opts.models });
  try {
    return await body(engine);
  } finally {
    await engine.close();
  }
}
