/** Worker thread for synthetic checkpoint chunks: receives ChunkJobs, returns their bytes (transferred). */
import { parentPort } from 'node:worker_threads';
import { makeChunk, type ChunkJob } from './synthetic-chunk.ts';

let scratch = new Float32Array(0);
parentPort?.on('message', (msg: { id: number; job: ChunkJob }) => {
  if (scratch.length < msg.job.count) scratch = new Float32Array(msg.job.count);
  const bytes = makeChunk(msg.job, scratch);
  parentPort?.postMessage({ id: msg.id, bytes }, [bytes.buffer as ArrayBuffer]);
});
