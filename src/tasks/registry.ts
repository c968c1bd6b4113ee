/**
 * The task table: the first task whose `matches` accepts a model is its task, with the
 * generic task last so every model has one. Commands ask here instead of testing shapes.
 */
import { UsageError } from '../errors.ts';
import { genericTask } from './generic.ts';
import { ppocrRecTask } from './ppocr-rec.ts';
import { segmentationTask } from './segmentation.ts';
import type { ModelSignature, Task } from './task.ts';

/** Most specific first; `generic` matches everything and must stay last. */
export const TASKS: readonly Task[] = [ppocrRecTask, segmentationTask, genericTask];

export const TASK_IDS = TASKS.map((t) => t.id);

/** The task for a model: the one named by `id` (`--task`), or the first that recognises it. */
export function taskFor(model: ModelSignature, id?: string): Task {
  if (id !== undefined) {
    const t = TASKS.find((x) => x.id === id);
    if (!t) throw new UsageError(`unknown task '${id}'`, `use one of ${TASK_IDS.join(', ')}`);
    if (!t.matches(model)) throw new UsageError(`task '${id}' does not fit this model (inputs ${model.inputs.map((i) => `${i.name}[${i.shape.join(',')}]`).join(', ')})`, `omit --task to use the task coquant recognises, or use --task generic`);
    return t;
  }
  return TASKS.find((t) => t.matches(model))!;
}
