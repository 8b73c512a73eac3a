/** The web UI's server side: finding and loading the `vite build` output. The UI's sources are in ui/. */
export { findWebBuild, loadWebBuild, WEB_CLIENT_ROUTES, WEB_NOT_BUILT_HTML, type WebAsset, type WebBuild, webBuildCandidates } from './web-build.ts';
