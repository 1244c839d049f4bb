/**
 * `npm start`: the shop on http://127.0.0.1:3000, against whatever
 * SIGLUME_API_BASE points at (the sandbox from `npm run sandbox` during
 * development).
 */
import { createShopApp } from './app.js';
import { readConfig, loadDotEnv } from './config.js';
import { createPool } from './database.js';

loadDotEnv();
const config = readConfig(); // fails early, naming a missing variable
const pool = createPool(config.database_url, config.schema);
const app = await createShopApp({ pool }); // refuses to start when the tables do not match (see the error's fixes)

const server = app.listen(config.port, '127.0.0.1', () => {
  console.log(`Example shop on http://127.0.0.1:${config.port} (Siglume API: ${process.env.SIGLUME_API_BASE ?? 'https://siglume.com/v1'})`);
});

function stop(): void {
  server.close(() => void pool.end());
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
