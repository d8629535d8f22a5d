// Ponder needs an API module; the benchmark only polls Ponder's own /ready (historical indexing done).
import { Hono } from "hono";

const app = new Hono();

export default app;
