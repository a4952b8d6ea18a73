import type { Route } from '../http/httpServer.ts';

/** The live page at `/` (placeholder until the page lands: sends people to GraphiQL). */
export function createLivePageRoute(): Route {
  return async (req, res, url) => {
    if (url.pathname !== '/' || req.method !== 'GET') return false;
    res.writeHead(302, { location: '/graphql' }).end();
    return true;
  };
}
