// Files imported `with { type: "file" }` resolve to a path (a /$bunfs path when compiled).
declare module "swagger-ui-dist/swagger-ui-bundle.js" { const path: string; export default path; }
declare module "swagger-ui-dist/swagger-ui.css" { const path: string; export default path; }
declare module "htmx.org/dist/htmx.min.js" { const path: string; export default path; }
declare module "*.css" { const path: string; export default path; }
declare module "*.svg" { const path: string; export default path; }
