import { z } from 'zod';

/** Ids are short opaque strings; bounding them keeps junk out of logs and lookups. */
export const idSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'id may contain letters, digits, _ and - only');
