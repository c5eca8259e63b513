// Express 4, installed under the alias "express4" so both majors are tested; its API is Express 5's type here.
declare module "express4" {
  import express from "express";
  export default express;
}
