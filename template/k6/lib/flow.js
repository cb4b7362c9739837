// The CRUD flow one iteration runs: create, get, update, delete, then list. The `crud` scenario
// and `nox -s bench` both drive it (and pgbench runs the same statements: stack/bench.py).
import http from "k6/http";
import { BASE_URL, expectStatus, params } from "./common.js";

// LIST_ORDER: the list's order, `oldest` (the API's default) or `newest`.
const LIST_ORDER = __ENV.LIST_ORDER || "oldest";

// `onCreate` receives the create response (the crud scenario records its duration).
export function crudFlow(onCreate = () => {}) {
  const created = http.post(
    `${BASE_URL}/items`,
    JSON.stringify({ title: `load ${__VU}-${__ITER}`, description: "k6", status: "pending" }),
    params("create"),
  );
  onCreate(created);
  if (!expectStatus(created, 201, "create")) {
    return;
  }
  const url = `${BASE_URL}/items/${created.json("id")}`;
  expectStatus(http.get(url, params("get")), 200, "get");
  const update = JSON.stringify({ title: `done ${__VU}-${__ITER}`, status: "done" });
  expectStatus(http.put(url, update, params("update")), 200, "update");
  expectStatus(http.del(url, null, params("delete")), 204, "delete");
  expectStatus(http.get(`${BASE_URL}/items?limit=20&order=${LIST_ORDER}`, params("list")), 200, "list");
}
