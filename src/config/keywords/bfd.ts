import type { BlockSpec, KeywordSpec } from '../schema.js';

export const rootKeywords: KeywordSpec[] = [];
export const blocks: BlockSpec[] = [];
