import { randomUUID } from 'node:crypto';
import { test, expect, type Message, type Thread, type TokenPair } from '../../fixtures';
import { catalog, category } from '../catalog';
import { ISO_UTC } from '../../fixtures/client/contract';
import { lastFrame } from '../../fixtures/client/frames';
import { uniqueRequest } from '../../fixtures/client/unique';
import { shapes } from '../../fixtures/shapes';

/** Counts fixed by the catalog rows (suites.md P5). */
const BULK_MESSAGES = 20;
const OWN_THREADS = 3;
const PAGED_THREADS = 5;
const PAGE_SIZE = 2;
const DEFAULT_MESSAGE_PAGE = 50;
const MESSAGE_SIZE_BYTES = 32 * 1024;
const TITLE_SIZE_BYTES = 1024;

/** `base` repeated and padded with ASCII to exactly `bytes` UTF-8 bytes. */
function utf8OfSize(base: string, bytes: number): string {
  let text = '';
  while (Buffer.byteLength(text + base) <= bytes) text += base;
  return text + 'x'.repeat(bytes - Buffer.byteLength(text));
}

// CJK, RTL (Hebrew, Arabic), ZWJ emoji sequences, combining marks (not NFC-normalised), a skin-tone modifier.
const MIXED_SCRIPT = '漢字かな交じり文。数据分析！ שלום עולם مرحبا بالعالم 👩‍👩‍👧‍👦 🏳️‍🌈 👨🏽‍💻 e\u0301 a\u0308 n\u0303 Z\u0351\u0362 | ';

const { title, details } = category('P5');

test.describe(title, details, () => {
  test(
    'test_071_message_storage_real',
    catalog({
      checks: 'message with metadata {k}; list; GET T → role user, thread_id T, ISO created_at, k kept; message_count = total = 1',
      catches: 'metadata, count',
    }),
    async ({ user, api }) => {
      const thread = await user.createThread();
      const marker = randomUUID();
      const posted = await api.post(`/api/threads/${thread.id}/messages`, {
        data: { message: `stored ${marker}`, metadata: { k: marker } },
      });
      expect(posted.status()).toBe(200);
      const message = (await posted.json()) as Message;
      expect(message).toMatchObject({ ...shapes.message(thread.id, 'user'), content: `stored ${marker}`, metadata: { k: marker } });
      const listed = await api.get(`/api/threads/${thread.id}/messages`);
      expect(listed.status()).toBe(200);
      const list = await listed.json();
      expect(list.total).toBe(1);
      expect(list.messages, 'the listed message equals the stored one').toEqual([message]);
      const fetched = await api.get(`/api/threads/${thread.id}`);
      expect(fetched.status()).toBe(200);
      expect((await fetched.json()).message_count, 'message_count = total').toBe(1);
    },
  );

  test(
    'test_072_thread_storage_real',
    catalog({ checks: 'nested metadata; PUT title + metadata; GET → = PUT values; metadata.user_id still U.id', catches: 'owner dropped' }),
    async ({ user, api }) => {
      const created = await api.post('/api/threads', {
        data: { title: 'nested', metadata: { project: { name: 'alpha', tags: ['a', 'b'], limits: { rps: 5 } } } },
      });
      expect(created.status()).toBe(200);
      const thread = (await created.json()) as Thread;
      expect(thread.metadata).toEqual({ project: { name: 'alpha', tags: ['a', 'b'], limits: { rps: 5 } }, user_id: user.id });
      const title = `renamed ${randomUUID()}`;
      const metadata = { project: { name: 'beta', tags: ['c'], limits: { rps: 9, burst: [1, 2, { deep: true }] } }, stage: 'review' };
      const put = await api.put(`/api/threads/${thread.id}`, { data: { title, metadata } });
      expect(put.status()).toBe(200);
      expect(await put.json()).toMatchObject({ id: thread.id, title });
      const fetched = await api.get(`/api/threads/${thread.id}`);
      expect(fetched.status()).toBe(200);
      const stored = (await fetched.json()) as Thread;
      expect(stored.title).toBe(title);
      expect(stored.metadata, 'GET holds the PUT metadata').toEqual(expect.objectContaining(metadata));
      expect(stored.metadata.user_id, 'the owner survives the PUT').toBe(user.id);
    },
  );

  test(
    'test_073_user_profile_storage_real',
    catalog({
      checks: "register {email,password,name}; login; /auth/me → login id/email/name = register's; me matches",
      catches: 'profile lost',
    }),
    async ({ request, settings, users }) => {
      const profile = {
        email: `e2e-p5-${randomUUID().slice(0, 12)}@staging.test`,
        password: `pw-${randomUUID()}`,
        name: `Profile ${randomUUID().slice(0, 6)}`,
      };
      const registered = await request.post(`${settings.authUrl}/auth/register`, { data: profile });
      expect(registered.status()).toBe(200);
      const reg = (await registered.json()) as TokenPair;
      users.track(reg);
      expect(reg.user).toMatchObject({ id: shapes.nonEmpty(), email: profile.email, name: profile.name });
      const loggedIn = await request.post(`${settings.authUrl}/auth/login`, { data: { email: profile.email, password: profile.password } });
      expect(loggedIn.status()).toBe(200);
      const login = (await loggedIn.json()) as TokenPair;
      users.track(login);
      expect(login.user, 'login returns the registered profile').toMatchObject({
        id: reg.user.id,
        email: profile.email,
        name: profile.name,
      });
      const me = await request.get(`${settings.authUrl}/auth/me`, { headers: { Authorization: `Bearer ${login.access_token}` } });
      expect(me.status()).toBe(200);
      expect(await me.json()).toMatchObject({ user_id: reg.user.id, email: profile.email });
    },
  );

  test(
    'test_074_large_unicode_message_round_trip',
    catalog({
      checks: '32 KiB: CJK, RTL, ZWJ emoji, combining marks → POST echo, list byte-identical',
      catches: 'truncation',
      was: 'file_upload',
    }),
    async ({ user, api }) => {
      const thread = await user.createThread();
      const content = utf8OfSize(MIXED_SCRIPT, MESSAGE_SIZE_BYTES);
      expect(Buffer.byteLength(content), 'the message is exactly 32 KiB').toBe(MESSAGE_SIZE_BYTES);
      const posted = await api.post(`/api/threads/${thread.id}/messages`, { data: { message: content } });
      expect(posted.status()).toBe(200);
      const echoed = (await posted.json()) as Message;
      expect(Buffer.from(echoed.content).equals(Buffer.from(content)), 'POST echoes the content byte-identical').toBe(true);
      const { messages } = await user.messages(thread.id);
      expect(messages.map((m) => m.id)).toEqual([echoed.id]);
      expect(Buffer.from(messages[0].content).equals(Buffer.from(content)), 'the list returns the content byte-identical').toBe(true);
    },
  );

  test(
    'test_075_message_retrieval_views',
    catalog({
      checks: '3 messages; list; history → the same messages (ids, contents, roles) in both views; REST oldest first',
      catches: 'views diverge',
      was: 'file_retrieval',
    }),
    async ({ user, sockets }) => {
      const thread = await user.createThread();
      const posted: Message[] = [];
      for (const n of [1, 2, 3]) posted.push(await user.postMessage(thread.id, `view message ${n} ${randomUUID()}`));
      const view = (ms: Message[]) => ms.map((m) => [m.id, m.role, m.content]);
      const { messages } = await user.messages(thread.id);
      expect(view(messages), 'REST list').toEqual(view(posted));
      const socket = await sockets.open(user);
      const history = await socket.threadHistory(thread.id);
      expect(history.type).toBe('thread_history');
      expect(view(history.data?.messages as Message[]), 'WS history').toEqual(view(posted));
    },
  );

  test(
    'test_076_thread_export',
    catalog({
      checks: 'say(text, T); 2 messages; ?limit=100 → user, assistant, user, user; total 4',
      catches: 'run not in thread',
      was: 'data_export',
    }),
    async ({ user, sockets }) => {
      const thread = await user.createThread();
      const socket = await sockets.open(user);
      const text = uniqueRequest('Summarise this week of agent runs');
      const frames = await (await socket.say(text, { threadId: thread.id })).finished();
      expect(lastFrame(frames)).toMatchObject({ type: 'agent_completed', status: 'completed' });
      const later = [`follow-up one ${randomUUID()}`, `follow-up two ${randomUUID()}`];
      for (const m of later) await user.postMessage(thread.id, m);
      const exported = await user.messages(thread.id, 'limit=100');
      expect(
        exported.messages.map((m) => [m.role, m.content]),
        'the thread holds the request, the answer, then the later messages',
      ).toEqual([
        ['user', text],
        ['assistant', lastFrame(frames).final_response],
        ['user', later[0]],
        ['user', later[1]],
      ]);
      expect(exported.total).toBe(4);
    },
  );

  test(
    'test_077_bulk_message_import',
    catalog({ checks: '20 parallel messages → distinct ids; each content once; total 20', catches: 'lost writes', was: 'data_import' }),
    async ({ user, api }) => {
      const thread = await user.createThread();
      const contents = Array.from({ length: BULK_MESSAGES }, (_, i) => `bulk ${i} ${randomUUID()}`);
      const responses = await Promise.all(contents.map((message) => api.post(`/api/threads/${thread.id}/messages`, { data: { message } })));
      expect(responses.map((r) => r.status())).toEqual(Array(BULK_MESSAGES).fill(200));
      const ids = ((await Promise.all(responses.map((r) => r.json()))) as Message[]).map((m) => m.id);
      expect(new Set(ids).size, 'distinct message ids').toBe(BULK_MESSAGES);
      const listed = await user.messages(thread.id, 'limit=100');
      expect(listed.total).toBe(BULK_MESSAGES);
      expect(listed.messages.map((m) => m.content).sort(), 'each content stored exactly once').toEqual([...contents].sort());
      expect(listed.messages.map((m) => m.id).sort()).toEqual([...ids].sort());
    },
  );

  test(
    'test_078_data_survives_new_session',
    catalog({ checks: 'T + message; new pair, same user → both visible', catches: 'data tied to token', was: 'backup_creation' }),
    async ({ users, request, settings }) => {
      const user = await users.create({ via: 'register' });
      const thread = await user.createThread();
      const message = await user.postMessage(thread.id, `kept across sessions ${randomUUID()}`);
      const loggedIn = await request.post(`${settings.authUrl}/auth/login`, { data: { email: user.email, password: user.password } });
      expect(loggedIn.status()).toBe(200);
      const pair = (await loggedIn.json()) as TokenPair;
      users.track(pair);
      expect(pair.user.id).toBe(user.id);
      expect(pair.access_token, 'a new session has a new token').not.toBe(user.accessToken);
      const api = await users.contextFor(pair.access_token);
      const fetched = await api.get(`/api/threads/${thread.id}`);
      expect(fetched.status(), 'the thread is visible in the new session').toBe(200);
      expect((await fetched.json()).id).toBe(thread.id);
      const listed = await api.get(`/api/threads/${thread.id}/messages`);
      expect(listed.status()).toBe(200);
      expect((await listed.json()).messages, 'the message is visible in the new session').toEqual([message]);
    },
  );

  test(
    'test_079_archive_isolation',
    catalog({ checks: 'T1, T2 + messages; DELETE T1 → T2 intact; T1 404', catches: 'wrong archive', was: 'backup_restoration' }),
    async ({ user, api }) => {
      const [t1, t2] = [await user.createThread(), await user.createThread()];
      await user.postMessage(t1.id, `in T1 ${randomUUID()}`);
      await user.postMessage(t2.id, `in T2 ${randomUUID()}`);
      const t2Before = await (await api.get(`/api/threads/${t2.id}`)).json();
      const t2Messages = await user.messages(t2.id);
      const archived = await api.delete(`/api/threads/${t1.id}`);
      expect(archived.status()).toBe(200);
      expect(await archived.json()).toEqual({ status: 'archived' });
      const t2After = await api.get(`/api/threads/${t2.id}`);
      expect(t2After.status()).toBe(200);
      expect(await t2After.json(), 'T2 unchanged').toEqual(t2Before);
      expect(await user.messages(t2.id), 'T2 messages unchanged').toEqual(t2Messages);
      await expect(await api.get(`/api/threads/${t1.id}`)).toBeContractError(404, 'Thread not found');
    },
  );

  test(
    'test_080_timestamps',
    catalog({
      checks: 'T and a message → ISO UTC, test window ± CLOCK_SKEW_S; updated_at ≥ created_at',
      catches: 'timezone',
      was: 'data_retention',
    }),
    async ({ user, api, settings }) => {
      const windowStart = Date.now();
      const thread = await user.createThread();
      const message = await user.postMessage(thread.id, `timestamped ${randomUUID()}`);
      const fetched = await api.get(`/api/threads/${thread.id}`);
      expect(fetched.status()).toBe(200);
      const after = (await fetched.json()) as Thread;
      const windowEnd = Date.now();
      const skewMs = settings.clockSkewS * 1000;
      for (const [name, value] of [
        ['thread created_at', after.created_at],
        ['thread updated_at', after.updated_at],
        ['message created_at', message.created_at],
      ] as const) {
        expect(value, `${name} is ISO UTC`).toMatch(ISO_UTC);
        expect(Date.parse(value), `${name} not before the test (− CLOCK_SKEW_S)`).toBeGreaterThanOrEqual(windowStart - skewMs);
        expect(Date.parse(value), `${name} not after the test (+ CLOCK_SKEW_S)`).toBeLessThanOrEqual(windowEnd + skewMs);
      }
      expect(after.created_at, 'created_at is stable').toBe(thread.created_at);
      expect(Date.parse(after.updated_at), 'updated_at ≥ created_at').toBeGreaterThanOrEqual(Date.parse(after.created_at));
    },
  );

  test(
    'test_081_data_deletion',
    catalog({
      checks: 'DELETE T; GET; list; PUT; DELETE → {"status":"archived"}; 404 "Thread not found"; absent; 404; 404',
      catches: 'archive no-op',
    }),
    async ({ user, api }) => {
      const thread = await user.createThread();
      const deleted = await api.delete(`/api/threads/${thread.id}`);
      expect(deleted.status()).toBe(200);
      expect(await deleted.json()).toEqual({ status: 'archived' });
      await expect(await api.get(`/api/threads/${thread.id}`)).toBeContractError(404, 'Thread not found');
      const list = await api.get('/api/threads?limit=100');
      expect(list.status()).toBe(200);
      expect(((await list.json()) as Thread[]).map((t) => t.id)).not.toContain(thread.id);
      await expect(await api.put(`/api/threads/${thread.id}`, { data: { title: 'revived' } })).toBeContractError(404, 'Thread not found');
      await expect(await api.delete(`/api/threads/${thread.id}`)).toBeContractError(404, 'Thread not found');
    },
  );

  test(
    'test_082_unicode_titles_metadata',
    catalog({
      checks: 'emoji/RTL/quoted 1 KiB title, metadata → byte-exact in GET, list',
      catches: 'field encoding',
      was: 'search_functionality',
    }),
    async ({ user, api }) => {
      const title = utf8OfSize(`"quoted" 'single' \\back\\slash <tag> &amp; 🚀✨ مرحبا שלום 漢字 `, TITLE_SIZE_BYTES);
      const metadata = { label: '«ключ» "q" \u200f‏RTL‎ 👨‍👩‍👧', nested: { emoji: '🧪🔬', rtl: 'العربية', quote: '"\'`' } };
      const created = await api.post('/api/threads', { data: { title, metadata } });
      expect(created.status()).toBe(200);
      const { id } = (await created.json()) as Thread;
      const fetched = await api.get(`/api/threads/${id}`);
      expect(fetched.status()).toBe(200);
      const one = (await fetched.json()) as Thread;
      const list = await api.get('/api/threads?limit=100');
      expect(list.status()).toBe(200);
      const listed = ((await list.json()) as Thread[]).find((t) => t.id === id);
      for (const [view, thread] of [
        ['GET', one],
        ['list', listed],
      ] as const) {
        expect(Buffer.from(thread?.title ?? '').equals(Buffer.from(title)), `${view}: title byte-exact`).toBe(true);
        expect(thread?.metadata, `${view}: metadata exact`).toEqual({ ...metadata, user_id: user.id });
      }
    },
  );

  test(
    'test_083_owner_scoped_listing',
    catalog({ checks: 'U1, U2 make 3 threads each → each list = exactly its own 3', catches: 'owner filter', was: 'filtering' }),
    async ({ users }) => {
      const owners = await Promise.all([users.create(), users.create()]);
      const made = await Promise.all(owners.map((u) => Promise.all(Array.from({ length: OWN_THREADS }, () => u.createThread()))));
      const lists = await Promise.all(owners.map((u) => u.api.get('/api/threads?limit=100')));
      for (const [i, list] of lists.entries()) {
        expect(list.status()).toBe(200);
        expect(((await list.json()) as Thread[]).map((t) => t.id).sort(), `user ${i + 1} lists exactly its own ${OWN_THREADS}`).toEqual(
          made[i].map((t) => t.id).sort(),
        );
      }
    },
  );

  test(
    'test_084_pagination',
    catalog({
      checks:
        '5 threads, limit=2, offset 0/2/4; limit 0, 101, offset −1; 51 messages, default → disjoint newest-first pages; 422 × 3; 50 items, limit 50, total 51',
      catches: 'bounds',
    }),
    async ({ user, api }) => {
      const created: Thread[] = [];
      for (let i = 0; i < PAGED_THREADS; i++) created.push(await user.createThread({ title: `page ${i}` }));
      const newestFirst = created.map((t) => t.id).reverse();
      const pages: string[][] = [];
      for (let offset = 0; offset < PAGED_THREADS; offset += PAGE_SIZE) {
        const page = await api.get(`/api/threads?limit=${PAGE_SIZE}&offset=${offset}`);
        expect(page.status()).toBe(200);
        pages.push(((await page.json()) as Thread[]).map((t) => t.id));
      }
      expect(pages, 'disjoint pages, newest first').toEqual([newestFirst.slice(0, 2), newestFirst.slice(2, 4), newestFirst.slice(4)]);
      for (const query of ['limit=0', 'limit=101', 'offset=-1']) {
        await expect(await api.get(`/api/threads?${query}`), query).toBeContractError(422);
      }
      const thread = await user.createThread();
      const total = DEFAULT_MESSAGE_PAGE + 1;
      const posted = await Promise.all(
        Array.from({ length: total }, (_, i) => api.post(`/api/threads/${thread.id}/messages`, { data: { message: `paged ${i}` } })),
      );
      expect(posted.map((r) => r.status())).toEqual(Array(total).fill(200));
      const all = await user.messages(thread.id, 'limit=100');
      expect(all.messages).toHaveLength(total);
      const page = await api.get(`/api/threads/${thread.id}/messages`);
      expect(page.status()).toBe(200);
      const body = await page.json();
      expect({ limit: body.limit, offset: body.offset, total: body.total }).toEqual({ limit: DEFAULT_MESSAGE_PAGE, offset: 0, total });
      expect(
        (body.messages as Message[]).map((m) => m.id),
        'the default page is the oldest 50',
      ).toEqual(all.messages.slice(0, DEFAULT_MESSAGE_PAGE).map((m) => m.id));
    },
  );

  test(
    'test_085_sorting',
    catalog({ checks: 'threads A, B, C; 2 runs → C, B, A; runs newest first; messages oldest first', catches: 'sort order' }),
    async ({ user, api }) => {
      const [a, b] = [await user.createThread({ title: 'A' }), await user.createThread({ title: 'B' })];
      await user.createThread({ title: 'C' });
      const list = await api.get('/api/threads?limit=100');
      expect(list.status()).toBe(200);
      expect(
        ((await list.json()) as Thread[]).map((t) => t.title),
        'threads newest first',
      ).toEqual(['C', 'B', 'A']);
      const runIds: string[] = [];
      for (const n of [1, 2]) {
        const response = await api.post('/api/agents/execute', {
          data: { type: 'triage', message: uniqueRequest(`Classify sorted request ${n}`), thread_id: a.id },
        });
        await expect(response).toBeAgentResult('triage');
        runIds.push((await response.json()).run_id);
      }
      const runs = await api.get('/api/agents/runs');
      expect(runs.status()).toBe(200);
      expect(
        ((await runs.json()).runs as { run_id: string }[]).map((r) => r.run_id),
        'runs newest first',
      ).toEqual([...runIds].reverse());
      const contents = [`first ${randomUUID()}`, `second ${randomUUID()}`, `third ${randomUUID()}`];
      for (const m of contents) await user.postMessage(b.id, m);
      const messages = await api.get(`/api/threads/${b.id}/messages`);
      expect(messages.status()).toBe(200);
      expect(
        ((await messages.json()).messages as Message[]).map((m) => m.content),
        'messages oldest first',
      ).toEqual(contents);
    },
  );
});
