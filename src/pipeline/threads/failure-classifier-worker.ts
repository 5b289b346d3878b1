/**
 * The failure-point classifier `failures` uses when none is given, trained on a simulated voice assistant's
 * labelled turns (400 users, 14 days): 20-60 s of CPU under load, which on the serving thread stalled every
 * request behind the dashboard's first look at /v1/requests/failures. Here it trains on a thread of its own.
 */
import { parentPort, workerData } from "node:worker_threads";
import { trainSimulatedFailureClassifier } from "../failure-classifier.js";

const port = parentPort;
if (!port) throw new Error("failure-classifier-worker.ts runs as a worker thread");
const { seed } = workerData as { seed: number };
port.postMessage(trainSimulatedFailureClassifier(seed).toJSON());
