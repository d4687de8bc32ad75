// The framework majors are installed under aliases (express4, koa3, ...); they share the
// types of the unaliased packages.
declare module 'express4' {
  import express from 'express';
  export default express;
}
declare module 'express5' {
  import express from 'express';
  export default express;
}
declare module 'koa2' {
  import Koa from 'koa';
  export default Koa;
}
declare module 'koa3' {
  import Koa from 'koa';
  export default Koa;
}
