/** The static export: /api/v1/graph?select= and /api/v1/graph/path answered from the exported whole graph (select.ts). */
import { registerStaticGraph } from '../data/client';
import { graphAnswer, pathAnswer, type StaticGraph } from './select';

registerStaticGraph((path, params, graph) => {
  if (!graph) throw Object.assign(new Error('the graph is not in this static export'), { status: 404 });
  return path === '/api/v1/graph/path' ? pathAnswer(graph as StaticGraph, params) : graphAnswer(graph as StaticGraph, params);
});
