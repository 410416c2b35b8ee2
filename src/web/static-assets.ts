/**
 * The dashboard's static files, kept as TypeScript string modules so that dist/ is self-contained
 * (the build runs tsc only). None holds data or a secret: everything is fetched with the token.
 */
import { DASHBOARD_APP_JS } from './static/dashboard-app.js';
import { DASHBOARD_CSS } from './static/dashboard-css.js';
import { DASHBOARD_HTML } from './static/dashboard-html.js';

export interface StaticAsset {
  contentType: string;
  body: string;
}

export const STATIC_ASSETS: Readonly<Record<string, StaticAsset>> = Object.freeze({
  '/index.html': { contentType: 'text/html; charset=utf-8', body: DASHBOARD_HTML },
  '/app.js': { contentType: 'text/javascript; charset=utf-8', body: DASHBOARD_APP_JS },
  '/app.css': { contentType: 'text/css; charset=utf-8', body: DASHBOARD_CSS },
});
