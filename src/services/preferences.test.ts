import { describe, expect, it } from "vitest";
import { testCatalogue } from "../core/preferences/test-catalogue.js";
import { Random } from "../core/random.js";
import type { CatalogueItem } from "../schema/events.js";
import { DuckDbEventStore } from "../store/duckdb/duckdb-store.js";
import type { EventStore } from "../store/event-store.js";
import { PreferencesService } from "./preferences.js";
import { ServingModels } from "./serving-model.js";

/** A store that counts the preference queries made of it. */
function counting(store: EventStore): { store: EventStore; queries: () => number } {
  let n = 0;
  const listPreferences = store.listPreferences.bind(store);
  const wrapped = Object.create(store) as EventStore;
  wrapped.listPreferences = (user?: string) => {
    n++;
    return listPreferences(user);
  };
  return { store: wrapped, queries: () => n };
}

describe("PreferencesService", () => {
  it("reads the store's preferences once, then answers every user from memory, kept in step by teach and remove", async () => {
    const base = await DuckDbEventStore.open(":memory:");
    try {
      await base.upsertItems(testCatalogue.map((i) => ({ ...i, attributes: {} }) as CatalogueItem));
      const { store, queries } = counting(base);
      const service = () =>
        new PreferencesService({
          store,
          modelsDir: "/nonexistent",
          models: new ServingModels(store, 1_000_000),
          draws: new Random(1),
        });
      const prefs = service();
      const taught = await prefs.teach("ann", "I don't like country");
      expect("facts" in taught && taught.facts[0].target.value).toBe("country");
      // Recommendations for many users who taught nothing: no query per user.
      for (let u = 0; u < 200; u++) expect(await prefs.factsFor(`user${u}`)).toEqual([]);
      expect((await prefs.factsFor("ann")).map((f) => f.target.value)).toEqual(["country"]);
      expect(queries()).toBe(1);

      // What is held agrees with the store: a fresh service reads the same facts.
      const again = service();
      expect((await again.factsFor("ann")).map((f) => f.id)).toEqual(
        (await prefs.factsFor("ann")).map((f) => f.id),
      );
      const id = (await prefs.factsFor("ann"))[0].id;
      expect(await prefs.remove("ann", id)).toBe(true);
      expect(await prefs.factsFor("ann")).toEqual([]);
      expect(await service().factsFor("ann")).toEqual([]);
      expect(await prefs.remove("ann", id)).toBe(false);
    } finally {
      await base.close();
    }
  });
});
