import { randomUUID } from 'node:crypto';
import { test, expect, type Message, type Thread, type TokenPair } from '../../fixtures';
import { lastFrame } from '../../fixtures/client/frames';
import { messageViews, roleContents } from '../../fixtures/client/messages';
import { instant } from '../../fixtures/client/time';
import { uniqueRequest } from '../../fixtures/client/unique';
import { catalog, category } from '../catalog';

/** Counts these tests are defined by (docs/catalog.md). */
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

/** A thread as the fields the contract defines for it (a target may add others, varying between reads). */
const threadView = (t: Thread) => ({
  id: t.id,
  title: t.title,
  created_at: t.created_at,
  updated_at: t.updated_at,
  message_count: t.message_count,
  user_id: t.metadata.user_id,
});

/** Each message's id, role and content in the order given (REST lists are oldest first). */
const idRoleContents = (messages: readonly Message[]) => messages.map((m) => [m.id, m.role, m.content]);

// CJK, RTL (Hebrew, Arabic), ZWJ emoji sequences, combining marks (not NFC-normalised), a skin-tone modifier.
const MIXED_SCRIPT = '漢字かな交じり文。数据分析！ שלום עולם مرحبا بالعالم 👩‍👩‍👧‍👦 🏳️‍🌈 👨🏽‍💻 e\u0301 a\u0308 n\u0303 Z\u0351\u0362 | ';

const { title, details } = category('P5');

test.describe(title, details, () => {
  test(
    'test_071_message_storage_real',
    catalog({
      checks:
        'A message posted with metadata {k} comes back as a user message of the thread with k kept; the thread lists it ' +
        '(same id, role, content, k) as its only message, and its message_count is 1.',
      catches: 'metadata, count',
    }),
    async ({ user, api }) => {
      const thread = await user.createThread();
      const marker = randomUUID();
      const content = `stored ${marker}`;
      const posted = await api.post(`/api/threads/${thread.id}/messages`, { data: { message: content, metadata: { k: marker } } });
      await expect(posted).toMatchContract('POST /api/threads/{id}/messages', 200, {
        thread_id: thread.id,
        role: 'user',
        content,
        metadata: { k: marker },
      });
      const message = (await posted.json()) as Message;
      const listed = await api.get(`/api/threads/${thread.id}/messages`);
      await expect(listed).toMatchContract('GET /api/threads/{id}/messages', 200, { thread_id: thread.id, total: 1 });
      const { messages } = (await listed.json()) as { messages: Message[] };
      expect(idRoleContents(messages), 'the listed message is the stored one').toEqual([[message.id, 'user', content]]);
      expect(messages[0].metadata, 'the listed message keeps its metadata').toMatchObject({ k: marker });
      await expect(await api.get(`/api/threads/${thread.id}`), 'message_count = total').toMatchContract('GET /api/threads/{id}', 200, {
        message_count: 1,
      });
    },
  );

  test(
    'test_072_thread_storage_real',
    catalog({
      checks:
        'A thread made with nested metadata keeps it, with the owner as metadata.user_id; after a PUT of a new title and ' +
        'new nested metadata, GET shows that title and metadata, and metadata.user_id is still the owner.',
      catches: 'owner dropped',
    }),
    async ({ user, api }) => {
      const original = { project: { name: 'alpha', tags: ['a', 'b'], limits: { rps: 5 } } };
      const created = await api.post('/api/threads', { data: { title: 'nested', metadata: original } });
      await expect(created).toMatchContract('POST /api/threads', 200, { metadata: { ...original, user_id: user.id } });
      const thread = (await created.json()) as Thread;
      const title = `renamed ${randomUUID()}`;
      const metadata = { project: { name: 'beta', tags: ['c'], limits: { rps: 9, burst: [1, 2, { deep: true }] } }, stage: 'review' };
      const put = await api.put(`/api/threads/${thread.id}`, { data: { title, metadata } });
      await expect(put).toMatchContract('PUT /api/threads/{id}', 200, { id: thread.id, title });
      // Whether PUT replaces or merges metadata is the target's choice: the sent keys and the owner must be there.
      await expect(await api.get(`/api/threads/${thread.id}`), 'GET after the PUT').toMatchContract('GET /api/threads/{id}', 200, {
        title,
        metadata: { ...metadata, user_id: user.id },
      });
    },
  );

  test(
    'test_073_user_profile_storage_real',
    catalog({
      checks:
        'A user registered with email, password and name logs in as the same profile (id, email, name), and /auth/me ' +
        'with the login token names that user and email.',
      catches: 'profile lost',
    }),
    async ({ request, settings, users }) => {
      const profile = {
        email: `e2e-p5-${randomUUID().slice(0, 12)}@staging.test`,
        password: `pw-${randomUUID()}`,
        name: `Profile ${randomUUID().slice(0, 6)}`,
      };
      const registered = await request.post(`${settings.authUrl}/auth/register`, { data: profile });
      await expect(registered).toMatchContract('POST /auth/register', 200, {
        user: { id: expect.stringMatching(/\S/), email: profile.email, name: profile.name },
      });
      const reg = (await registered.json()) as TokenPair;
      users.track(reg);
      const loggedIn = await request.post(`${settings.authUrl}/auth/login`, { data: { email: profile.email, password: profile.password } });
      await expect(loggedIn, 'login returns the registered profile').toMatchContract('POST /auth/login', 200, {
        user: { id: reg.user.id, email: profile.email, name: profile.name },
      });
      const login = (await loggedIn.json()) as TokenPair;
      users.track(login);
      const me = await request.get(`${settings.authUrl}/auth/me`, { headers: { Authorization: `Bearer ${login.access_token}` } });
      await expect(me).toMatchContract('GET /auth/me', 200, { user_id: reg.user.id, email: profile.email });
    },
  );

  test(
    'test_074_large_unicode_message_round_trip',
    catalog({
      checks:
        'A 32 KiB message of CJK, RTL, ZWJ emoji and combining marks is echoed by the POST and listed as the only ' +
        'message, byte-identical both times.',
      catches: 'truncation',
      was: 'file_upload',
    }),
    async ({ user, api }) => {
      const thread = await user.createThread();
      const content = utf8OfSize(MIXED_SCRIPT, MESSAGE_SIZE_BYTES);
      expect(Buffer.byteLength(content), 'the message is exactly 32 KiB').toBe(MESSAGE_SIZE_BYTES);
      const posted = await api.post(`/api/threads/${thread.id}/messages`, { data: { message: content } });
      await expect(posted).toMatchContract('POST /api/threads/{id}/messages', 200, { thread_id: thread.id, role: 'user' });
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
      checks:
        'Three posted messages are listed over REST oldest first (ids, roles, contents as posted); thread_history over ' +
        'the socket holds the same messages, in any order.',
      catches: 'views diverge',
      was: 'file_retrieval',
    }),
    async ({ user, sockets }) => {
      const thread = await user.createThread();
      const posted: Message[] = [];
      for (const n of [1, 2, 3]) posted.push(await user.postMessage(thread.id, `view message ${n} ${randomUUID()}`));
      const { messages } = await user.messages(thread.id);
      expect(idRoleContents(messages), 'REST list, oldest first').toEqual(idRoleContents(posted));
      const socket = await sockets.open(user);
      const history = await socket.threadHistory(thread.id);
      await expect(history).toMatchContract({ type: 'thread_history', data: { thread_id: thread.id } });
      expect(messageViews(history.data?.messages as Message[]), 'WS history holds the same messages').toEqual(messageViews(posted));
    },
  );

  test(
    'test_076_thread_export',
    catalog({
      checks:
        "After a run in T, T's messages become the request and the answer; two messages posted after that make the " +
        'full list (?limit=100) user, assistant, user, user in that order, total 4.',
      catches: 'run not in thread',
      was: 'data_export',
    }),
    async ({ user, sockets, api, settings }) => {
      const thread = await user.createThread();
      const socket = await sockets.open(user);
      const text = uniqueRequest('Summarise this week of agent runs');
      const frames = await (await socket.say(text, { threadId: thread.id })).finished();
      const done = lastFrame(frames);
      await expect(done).toMatchContract({ type: 'agent_completed', status: 'completed' });
      const ran = [
        ['user', text],
        ['assistant', done.final_response],
      ];
      // The answer may take SETTLE_MS to be stored; the later messages must come after it.
      await expect
        .poll(async () => roleContents((await user.messages(thread.id)).messages), {
          message: 'the thread holds the request and the answer',
          timeout: settings.settleMs,
        })
        .toEqual(ran);
      const later = [`follow-up one ${randomUUID()}`, `follow-up two ${randomUUID()}`];
      for (const m of later) await user.postMessage(thread.id, m);
      const exported = await api.get(`/api/threads/${thread.id}/messages?limit=100`);
      await expect(exported).toMatchContract('GET /api/threads/{id}/messages', 200, { total: 4 });
      expect(
        roleContents(((await exported.json()) as { messages: Message[] }).messages),
        'the thread holds the request, the answer, then the later messages',
      ).toEqual([...ran, ['user', later[0]], ['user', later[1]]]);
    },
  );

  test(
    'test_077_bulk_message_import',
    catalog({
      checks: 'Twenty messages posted at once all succeed with distinct ids, and the thread holds each content exactly once, total 20.',
      catches: 'lost writes',
      was: 'data_import',
    }),
    async ({ user, api }) => {
      const thread = await user.createThread();
      const contents = Array.from({ length: BULK_MESSAGES }, (_, i) => `bulk ${i} ${randomUUID()}`);
      const responses = await Promise.all(contents.map((message) => api.post(`/api/threads/${thread.id}/messages`, { data: { message } })));
      for (const [i, response] of responses.entries())
        await expect(response, `message #${i}`).toMatchContract('POST /api/threads/{id}/messages', 200, { content: contents[i] });
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
    catalog({
      checks:
        'A thread and its message made in one session are both visible to a new login of the same user, whose token ' +
        'differs from the first.',
      catches: 'data tied to token',
      was: 'backup_creation',
    }),
    async ({ users, request, settings }) => {
      const user = await users.create({ via: 'register' });
      const thread = await user.createThread();
      const message = await user.postMessage(thread.id, `kept across sessions ${randomUUID()}`);
      const loggedIn = await request.post(`${settings.authUrl}/auth/login`, { data: { email: user.email, password: user.password } });
      await expect(loggedIn).toMatchContract('POST /auth/login', 200, { user: { id: user.id } });
      const pair = (await loggedIn.json()) as TokenPair;
      users.track(pair);
      expect(pair.access_token, 'a new session has a new token').not.toBe(user.accessToken);
      const api = await users.contextFor(pair.access_token);
      await expect(await api.get(`/api/threads/${thread.id}`), 'the thread is visible in the new session').toMatchContract(
        'GET /api/threads/{id}',
        200,
        { id: thread.id },
      );
      const listed = await api.get(`/api/threads/${thread.id}/messages`);
      await expect(listed).toMatchContract('GET /api/threads/{id}/messages', 200, { total: 1 });
      expect(
        idRoleContents(((await listed.json()) as { messages: Message[] }).messages),
        'the message is visible in the new session',
      ).toEqual(idRoleContents([message]));
    },
  );

  test(
    'test_079_archive_isolation',
    catalog({
      checks:
        'Archiving T1 answers {"status":"archived"} and T1 then reads 404 "Thread not found", while T2 (id, title, times, ' +
        'count, owner) and its messages are unchanged.',
      catches: 'wrong archive',
      was: 'backup_restoration',
    }),
    async ({ user, api }) => {
      const [t1, t2] = [await user.createThread(), await user.createThread()];
      await user.postMessage(t1.id, `in T1 ${randomUUID()}`);
      await user.postMessage(t2.id, `in T2 ${randomUUID()}`);
      const t2Before = (await (await api.get(`/api/threads/${t2.id}`)).json()) as Thread;
      const t2Messages = await user.messages(t2.id);
      const archived = await api.delete(`/api/threads/${t1.id}`);
      await expect(archived).toMatchContract('DELETE /api/threads/{id}', 200, { status: 'archived' });
      const t2After = await api.get(`/api/threads/${t2.id}`);
      await expect(t2After).toMatchContract('GET /api/threads/{id}', 200);
      expect(threadView((await t2After.json()) as Thread), 'T2 unchanged').toEqual(threadView(t2Before));
      const messagesAfter = await user.messages(t2.id);
      expect(messagesAfter.total, 'T2 still has its message').toBe(t2Messages.total);
      expect(idRoleContents(messagesAfter.messages), 'T2 messages unchanged').toEqual(idRoleContents(t2Messages.messages));
      await expect(await api.get(`/api/threads/${t1.id}`), 'the archived T1').toMatchContract('GET /api/threads/{id}', 404, {
        detail: 'Thread not found',
      });
    },
  );

  test(
    'test_080_timestamps',
    catalog({
      checks:
        "A thread's created_at and updated_at and its message's created_at are ISO UTC within the test's time window " +
        '± CLOCK_SKEW_S; created_at reads back unchanged and updated_at is not before it.',
      catches: 'timezone',
      was: 'data_retention',
    }),
    async ({ user, api, settings }) => {
      const windowStart = Date.now();
      const thread = await user.createThread();
      const posted = await api.post(`/api/threads/${thread.id}/messages`, { data: { message: `timestamped ${randomUUID()}` } });
      await expect(posted).toMatchContract('POST /api/threads/{id}/messages', 200);
      const message = (await posted.json()) as Message;
      const fetched = await api.get(`/api/threads/${thread.id}`);
      // The contract marks these <ISO>: the documents check the form, the test checks the instant.
      await expect(fetched).toMatchContract('GET /api/threads/{id}', 200);
      const after = (await fetched.json()) as Thread;
      const windowEnd = Date.now();
      const skewMs = settings.clockSkewS * 1000;
      for (const [name, value] of [
        ['thread created_at', after.created_at],
        ['thread updated_at', after.updated_at],
        ['message created_at', message.created_at],
      ] as const) {
        expect(Date.parse(value), `${name} not before the test (− CLOCK_SKEW_S)`).toBeGreaterThanOrEqual(windowStart - skewMs);
        expect(Date.parse(value), `${name} not after the test (+ CLOCK_SKEW_S)`).toBeLessThanOrEqual(windowEnd + skewMs);
      }
      expect(instant(after.created_at), 'created_at is stable').toBe(instant(thread.created_at));
      expect(Date.parse(after.updated_at), 'updated_at ≥ created_at').toBeGreaterThanOrEqual(Date.parse(after.created_at));
    },
  );

  test(
    'test_081_data_deletion',
    catalog({
      checks:
        'Archiving a thread answers {"status":"archived"}; then GET and PUT answer 404 "Thread not found", the list no ' +
        'longer holds it, and a second DELETE answers either 200 {"status":"archived"} or 404 "Thread not found".',
      catches: 'archive no-op',
    }),
    async ({ user, api }) => {
      const thread = await user.createThread();
      const deleted = await api.delete(`/api/threads/${thread.id}`);
      await expect(deleted).toMatchContract('DELETE /api/threads/{id}', 200, { status: 'archived' });
      await expect(await api.get(`/api/threads/${thread.id}`), 'GET after the archive').toMatchContract('GET /api/threads/{id}', 404, {
        detail: 'Thread not found',
      });
      const list = await api.get('/api/threads?limit=100');
      await expect(list).toMatchContract('GET /api/threads', 200);
      expect(((await list.json()) as Thread[]).map((t) => t.id)).not.toContain(thread.id);
      await expect(await api.put(`/api/threads/${thread.id}`, { data: { title: 'revived' } }), 'PUT after the archive').toMatchContract(
        'PUT /api/threads/{id}',
        404,
        { detail: 'Thread not found' },
      );
      // The contract does not give a repeated DELETE's answer: both the archive result and the 404 conform.
      const again = await api.delete(`/api/threads/${thread.id}`);
      expect([200, 404], 'a second DELETE answers 200 or 404').toContain(again.status());
      // The documents give each of those statuses its body: {"status":"archived"} or {"detail":"Thread not found"}.
      await expect(again, 'the second DELETE').toMatchContract('DELETE /api/threads/{id}', again.status());
    },
  );

  test(
    'test_082_unicode_titles_metadata',
    catalog({
      checks:
        'A 1 KiB title of emoji, RTL and quoting characters, and metadata of the same, read back byte-exact from GET and ' +
        'from the list, with the owner added to the metadata.',
      catches: 'field encoding',
      was: 'search_functionality',
    }),
    async ({ user, api }) => {
      const title = utf8OfSize(`"quoted" 'single' \\back\\slash <tag> &amp; 🚀✨ مرحبا שלום 漢字 `, TITLE_SIZE_BYTES);
      const metadata = { label: '«ключ» "q" \u200f‏RTL‎ 👨‍👩‍👧', nested: { emoji: '🧪🔬', rtl: 'العربية', quote: '"\'`' } };
      const created = await api.post('/api/threads', { data: { title, metadata } });
      await expect(created).toMatchContract('POST /api/threads', 200);
      const { id } = (await created.json()) as Thread;
      const fetched = await api.get(`/api/threads/${id}`);
      await expect(fetched).toMatchContract('GET /api/threads/{id}', 200);
      const list = await api.get('/api/threads?limit=100');
      await expect(list).toMatchContract('GET /api/threads', 200);
      const listed = ((await list.json()) as Thread[]).find((t) => t.id === id);
      for (const [view, thread] of [
        ['GET', (await fetched.json()) as Thread],
        ['list', listed],
      ] as const) {
        expect(Buffer.from(thread?.title ?? '').equals(Buffer.from(title)), `${view}: title byte-exact`).toBe(true);
        expect(thread?.metadata, `${view}: metadata as sent, plus the owner`).toMatchObject({ ...metadata, user_id: user.id });
      }
    },
  );

  test(
    'test_083_owner_scoped_listing',
    catalog({
      checks: "Two users make three threads each: each user's list holds exactly that user's three threads.",
      catches: 'owner filter',
      was: 'filtering',
    }),
    async ({ users }) => {
      const owners = await Promise.all([users.create(), users.create()]);
      const made = await Promise.all(owners.map((u) => Promise.all(Array.from({ length: OWN_THREADS }, () => u.createThread()))));
      const lists = await Promise.all(owners.map((u) => u.api.get('/api/threads?limit=100')));
      for (const [i, list] of lists.entries()) {
        await expect(list, `user ${i + 1}'s list`).toMatchContract('GET /api/threads', 200);
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
        'Five threads paged with limit=2 at offsets 0, 2 and 4 come as disjoint pages, newest first; limit=0, limit=101 ' +
        'and offset=-1 are 422; of 51 messages the default page holds the oldest 50, with limit 50, offset 0, total 51.',
      catches: 'bounds',
    }),
    async ({ user, api }) => {
      const created: Thread[] = [];
      for (let i = 0; i < PAGED_THREADS; i++) created.push(await user.createThread({ title: `page ${i}` }));
      const newestFirst = created.map((t) => t.id).reverse();
      const pages: string[][] = [];
      for (let offset = 0; offset < PAGED_THREADS; offset += PAGE_SIZE) {
        const page = await api.get(`/api/threads?limit=${PAGE_SIZE}&offset=${offset}`);
        await expect(page, `offset ${offset}`).toMatchContract('GET /api/threads', 200);
        pages.push(((await page.json()) as Thread[]).map((t) => t.id));
      }
      expect(pages, 'disjoint pages, newest first').toEqual([newestFirst.slice(0, 2), newestFirst.slice(2, 4), newestFirst.slice(4)]);
      for (const query of ['limit=0', 'limit=101', 'offset=-1']) {
        await expect(await api.get(`/api/threads?${query}`), query).toMatchContract('GET /api/threads', 422);
      }
      const thread = await user.createThread();
      const total = DEFAULT_MESSAGE_PAGE + 1;
      const posted = await Promise.all(
        Array.from({ length: total }, (_, i) => api.post(`/api/threads/${thread.id}/messages`, { data: { message: `paged ${i}` } })),
      );
      for (const [i, response] of posted.entries())
        await expect(response, `message #${i}`).toMatchContract('POST /api/threads/{id}/messages', 200);
      const all = await user.messages(thread.id, 'limit=100');
      expect(all.messages).toHaveLength(total);
      const page = await api.get(`/api/threads/${thread.id}/messages`);
      await expect(page, 'the default page').toMatchContract('GET /api/threads/{id}/messages', 200, {
        limit: DEFAULT_MESSAGE_PAGE,
        offset: 0,
        total,
      });
      expect(
        ((await page.json()) as { messages: Message[] }).messages.map((m) => m.id),
        'the default page is the oldest 50',
      ).toEqual(all.messages.slice(0, DEFAULT_MESSAGE_PAGE).map((m) => m.id));
    },
  );

  test(
    'test_085_sorting',
    catalog({
      checks:
        'Threads A, B, C made in that order are listed C, B, A; two REST runs are listed newest first; three messages ' +
        'are listed oldest first.',
      catches: 'sort order',
    }),
    async ({ user, api, settings }) => {
      const [a, b] = [await user.createThread({ title: 'A' }), await user.createThread({ title: 'B' })];
      await user.createThread({ title: 'C' });
      const list = await api.get('/api/threads?limit=100');
      await expect(list).toMatchContract('GET /api/threads', 200);
      expect(
        ((await list.json()) as Thread[]).map((t) => t.title),
        'threads newest first',
      ).toEqual(['C', 'B', 'A']);
      const runIds: string[] = [];
      for (const n of [1, 2]) {
        const response = await api.post('/api/agents/execute', {
          data: { type: 'triage', message: uniqueRequest(`Classify sorted request ${n}`), thread_id: a.id },
        });
        await expect(response, `run ${n}`).toMatchContract('POST /api/agents/execute', 200, { agent: 'triage' });
        runIds.push((await response.json()).run_id);
      }
      await expect(await api.get('/api/agents/runs')).toMatchContract('GET /api/agents/runs', 200);
      await expect
        .poll(async () => ((await (await api.get('/api/agents/runs')).json()).runs as { run_id: string }[]).map((r) => r.run_id), {
          message: 'runs newest first',
          timeout: settings.settleMs,
        })
        .toEqual([...runIds].reverse());
      const contents = [`first ${randomUUID()}`, `second ${randomUUID()}`, `third ${randomUUID()}`];
      for (const m of contents) await user.postMessage(b.id, m);
      const messages = await api.get(`/api/threads/${b.id}/messages`);
      await expect(messages).toMatchContract('GET /api/threads/{id}/messages', 200);
      expect(
        ((await messages.json()) as { messages: Message[] }).messages.map((m) => m.content),
        'messages oldest first',
      ).toEqual(contents);
    },
  );
});
