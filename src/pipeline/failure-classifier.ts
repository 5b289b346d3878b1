import { FailurePointClassifier, type FailurePointModelJson } from "../core/failures/failure-points.js";
import { turnCatalogue } from "../core/failures/index.js";
import { simulateVoice } from "../core/simulate/index.js";
import { turnFromEvent } from "../core/voice/turn.js";
import { startWorker } from "./threads/workers.js";

/** The failure-point classifier trained on a simulated assistant's labelled turns (the truth is known there). */
export function trainSimulatedFailureClassifier(seed: number): FailurePointClassifier {
  const world = simulateVoice({ seed, users: 400, days: 14 });
  return FailurePointClassifier.train(
    world.requests.map(turnFromEvent),
    world.truth.map((t) => t.label),
    turnCatalogue(world.catalogue.map((c) => ({ id: c.id, title: c.title, kind: c.kind }))),
  );
}

/** The same, trained on a worker thread so the caller's event loop keeps serving meanwhile. */
export function trainSimulatedFailureClassifierOffThread(seed: number): Promise<FailurePointClassifier> {
  return new Promise((resolve, reject) => {
    const worker = startWorker("failure-classifier-worker", { seed });
    worker.once("message", (json: FailurePointModelJson) => {
      resolve(FailurePointClassifier.fromJSON(json));
      void worker.terminate();
    });
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the failure-classifier thread exited (code ${code})`)));
  });
}
