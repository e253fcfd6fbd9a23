/** All ModelArts routes behind the project-id check (a foreign project answers 404). */
import { Hono } from 'hono';
import { huaweiError, type SimEnv } from '../http';
import type { SimulatorState } from '../state';
import { modelartsCatalogRoutes } from './catalog';
import { notebookRoutes } from './notebooks';
import { poolRoutes } from './pools';
import { requireProject } from './shared';

export function modelartsRoutes(state: SimulatorState): Hono<SimEnv> {
  const app = new Hono<SimEnv>();
  const wrongProject = requireProject(state, (c, pid) =>
    huaweiError(c, 404, 'ModelArts.0104', `Parameter error: project ${pid} not found`),
  );
  app.use('/v1/:project_id/*', wrongProject);
  // IEF's node and group reads share /v2; IEF answers their foreign project itself.
  app.use('/v2/:project_id/*', (c, next) => (c.req.path.split('/')[3] === 'edgemgr' ? next() : wrongProject(c, next)));
  app.route('/', modelartsCatalogRoutes(state));
  app.route('/', notebookRoutes(state));
  app.route('/', poolRoutes(state));
  return app;
}
