# node: async file I/O (libuv's thread pool), a child process, a timer, a
# stream, and a worker thread.
cat > app.js <<'JS'
const fs = require('fs/promises');
const fss = require('fs');
const { execFile, spawnSync } = require('child_process');
const { Worker } = require('worker_threads');
const crypto = require('crypto');
(async () => {
  await fs.mkdir('out/a/b', { recursive: true });
  await Promise.all([...Array(50).keys()].map(i => fs.writeFile(`out/a/b/${i}.txt`, 'x'.repeat(i))));
  const names = await fs.readdir('out/a/b');
  let total = 0;
  for (const n of names) total += (await fs.stat(`out/a/b/${n}`)).size;
  console.log('files', names.length, 'bytes', total);
  await fs.rename('out/a/b/1.txt', 'out/one.txt');
  console.log('renamed', fss.existsSync('out/one.txt'));
  const out = await new Promise((res, rej) => execFile('sh', ['-c', 'echo child $((6 * 7)); exit 0'], (e, so) => e ? rej(e) : res(so)));
  process.stdout.write(out);
  console.log('sync', spawnSync('ls', ['out']).stdout.toString().trim().split('\n').join(','));
  const h = crypto.createHash('sha256');
  await new Promise(r => fss.createReadStream('out/a/b/49.txt').on('data', d => h.update(d)).on('end', r));
  console.log('sha', h.digest('hex').slice(0, 12));
  const w = new Worker('const { parentPort } = require("worker_threads"); parentPort.postMessage(21 * 2);', { eval: true });
  console.log('worker', await new Promise(r => w.on('message', r)));
  await new Promise(r => setTimeout(r, 50));
  console.log('timer done');
})().catch(e => { console.error(e); process.exit(1); });
JS
node app.js
echo "status $?"
