// The VRRP side of keepalived.conf: instances, sync/track/garp groups, tracked objects, static lists.
import type { BlockSpec, KeywordSpec } from '../schema.js';
import { instanceBlocks, instanceRootKeywords } from './vrrp-instance.js';
import { trackingBlocks, trackingRootKeywords } from './vrrp-tracking.js';

export const rootKeywords: KeywordSpec[] = [...instanceRootKeywords, ...trackingRootKeywords];
export const blocks: BlockSpec[] = [...instanceBlocks, ...trackingBlocks];
