import { randomUUID } from 'node:crypto';
import { test, expect, type Message, type Thread } from '../../fixtures';
import { catalog, category } from '../catalog';
import { lastFrame } from '../../fixtures/client/frames';
import { uniqueRequest } from '../../fixtures/client/unique';

const { title, details } = category('core-02');

test.describe(title, details, () => {
  test(
    '2.1 test_message_endpoints',
    catalog({
      checks:
        'Posting a message is 422 when it is empty or missing, 404 "Thread not found" to an unknown thread and 403 "Access ' +
        'denied" to another user\'s thread (both with a valid body); no rejected message is stored.',
      catches: 'message ACL',
    }),
    async ({ users, user, api }) => {
      const op = 'POST /api/threads/{id}/messages';
      const thread = await user.createThread();
      await expect(await api.post(`/api/threads/${thread.id}/messages`, { data: { message: '' } }), 'empty message').toMatchContract(
        op,
        422,
      );
      await expect(await api.post(`/api/threads/${thread.id}/messages`, { data: {} }), 'no message field').toMatchContract(op, 422);
      // Valid bodies, so the 404 and 403 do not depend on whether a target validates the body before the thread.
      await expect(
        await api.post(`/api/threads/${randomUUID()}/messages`, { data: { message: `to nowhere ${randomUUID()}` } }),
        'unknown thread',
      ).toMatchContract(op, 404, { detail: 'Thread not found' });

      const other = await users.create();
      const foreign = await other.createThread();
      await expect(
        await api.post(`/api/threads/${foreign.id}/messages`, { data: { message: `intrusion ${randomUUID()}` } }),
        "another user's thread",
      ).toMatchContract(op, 403, { detail: 'Access denied' });
      expect((await other.messages(foreign.id)).total, "the other user's thread got no message").toBe(0);
      expect((await user.messages(thread.id)).total, 'the rejected messages were not stored').toBe(0);
    },
  );

  test(
    '2.2 test_real_message_api_endpoints',
    catalog({
      checks:
        'A message posted with metadata comes back as a user message of the thread with its content, an ISO created_at ' +
        'and a metadata field; the thread then lists it (same id, role and content) as its only message.',
      catches: 'message schema drift',
    }),
    async ({ user, api }) => {
      const thread = await user.createThread();
      const content = `message with metadata ${randomUUID()}`;
      const metadata = { source: 'core-2.2', marker: randomUUID(), nested: { tags: ['a', 'b'] } };
      const posted = await api.post(`/api/threads/${thread.id}/messages`, { data: { message: content, metadata } });
      await expect(posted).toMatchContract('POST /api/threads/{id}/messages', 200, { thread_id: thread.id, role: 'user', content });
      const message = (await posted.json()) as Message;
      const listed = await api.get(`/api/threads/${thread.id}/messages`);
      await expect(listed).toMatchContract('GET /api/threads/{id}/messages', 200, { thread_id: thread.id, total: 1 });
      expect(
        ((await listed.json()).messages as Message[]).map((m) => [m.id, m.role, m.content]),
        'the thread lists the posted message',
      ).toEqual([[message.id, 'user', content]]);
    },
  );

  test(
    '2.3 test_real_websocket_message_flow',
    catalog({
      checks:
        'A chat message starts a supervisor run in each form the contract allows (user_message with flat content or ' +
        'payload.content, message with text, chat with message): agent_started carries the text, and the run completes; ' +
        "with a thread_id, every event of the run carries that thread's id.",
      catches: 'alias regressions',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const thread = await user.createThread();
      const forms = [
        { label: 'user_message with flat content', options: {} },
        { label: 'user_message with payload.content', options: { payload: true } },
        { label: 'message with text', options: { type: 'message', field: 'text' } },
        { label: 'chat with message', options: { type: 'chat', field: 'message' } },
        { label: 'user_message with a thread_id', options: { threadId: thread.id } },
      ] as const;
      // Sent at once: each run is found by its own text, so the five need not wait for each other.
      const runs = await Promise.all(
        forms.map(async (form) => {
          const text = uniqueRequest(`Summarise this week's requests (${form.label})`);
          return { form, text, run: await socket.say(text, form.options) };
        }),
      );
      for (const { form, text, run } of runs) {
        await expect(await run.started(), form.label).toMatchContract({
          type: 'agent_started',
          task_description: text,
          agent_name: 'supervisor',
          user_id: user.id,
        });
        await expect(lastFrame(await run.finished()), form.label).toMatchContract({ type: 'agent_completed', status: 'completed' });
      }
      const inThread = await runs[runs.length - 1].run.finished();
      await expect(inThread, 'every event of the run carries the given thread_id').toMatchContract({ thread_id: thread.id });
    },
  );

  test(
    '2.4 test_real_thread_management',
    catalog({
      checks:
        'A thread is created with a title and metadata, listed as created, renamed by PUT, read back as renamed, archived ' +
        'by DELETE, and then 404 "Thread not found" and gone from the list; each answer is a contract Thread of the user.',
      catches: 'CRUD',
    }),
    async ({ user, api }) => {
      const marker = randomUUID();
      const created = await api.post('/api/threads', { data: { title: 'core 2.4 thread', metadata: { k: marker } } });
      await expect(created).toMatchContract('POST /api/threads', 200, {
        title: 'core 2.4 thread',
        message_count: 0,
        metadata: { k: marker, user_id: user.id },
      });
      const thread = (await created.json()) as Thread;
      // The fields the contract defines for the thread in every view; a list item may carry others.
      const asCreated = { id: thread.id, title: thread.title, created_at: thread.created_at, metadata: { k: marker, user_id: user.id } };

      const list = await api.get('/api/threads');
      await expect(list).toMatchContract('GET /api/threads', 200);
      expect(
        ((await list.json()) as Thread[]).find((t) => t.id === thread.id),
        'the list holds the new thread as created',
      ).toMatchObject(asCreated);

      const renamed = await api.put(`/api/threads/${thread.id}`, { data: { title: 'core 2.4 renamed', metadata: { k: `${marker}-2` } } });
      const asRenamed = { ...asCreated, title: 'core 2.4 renamed', message_count: 0, metadata: { k: `${marker}-2`, user_id: user.id } };
      await expect(renamed).toMatchContract('PUT /api/threads/{id}', 200, asRenamed);
      const updated = (await renamed.json()) as Thread;
      expect(Date.parse(updated.updated_at), 'updated_at >= created_at').toBeGreaterThanOrEqual(Date.parse(updated.created_at));

      await expect(await api.get(`/api/threads/${thread.id}`), 'GET shows the PUT result').toMatchContract(
        'GET /api/threads/{id}',
        200,
        asRenamed,
      );

      await expect(await api.delete(`/api/threads/${thread.id}`)).toMatchContract('DELETE /api/threads/{id}', 200);
      await expect(await api.get(`/api/threads/${thread.id}`), 'GET after DELETE').toMatchContract('GET /api/threads/{id}', 404, {
        detail: 'Thread not found',
      });
      const after = await api.get('/api/threads');
      await expect(after).toMatchContract('GET /api/threads', 200);
      expect(
        ((await after.json()) as Thread[]).map((t) => t.id),
        'the archived thread left the list',
      ).not.toContain(thread.id);
    },
  );

  test(
    '2.5 test_real_error_handling_flow',
    catalog({
      checks:
        'Text that is not JSON and JSON that is not an object each get a JSON_PARSE_ERROR error_message and the socket ' +
        'still answers ping; an empty user_message gets INVALID_MESSAGE, starts no run (the socket stays quiet) and none is recorded.',
      catches: 'parse kills socket',
    }),
    async ({ sockets, user, api }) => {
      const socket = await sockets.open(user);
      await expect(await socket.sendExpectingError('this is not json {'), 'text that is not JSON').toMatchContract({
        type: 'error_message',
        error_code: 'JSON_PARSE_ERROR',
      });
      await expect(await socket.sendExpectingError('[1,2]'), 'JSON that is not an object').toMatchContract({
        type: 'error_message',
        error_code: 'JSON_PARSE_ERROR',
      });
      await expect(socket, 'the socket survives malformed frames').toAnswerPing();
      await expect(await socket.sendExpectingError({ type: 'user_message', content: '' }), 'empty user_message').toMatchContract({
        type: 'error_message',
        error_code: 'INVALID_MESSAGE',
      });
      await expect(socket, 'no run starts for the empty message').toStayQuiet();
      const runs = await api.get('/api/agents/runs');
      await expect(runs).toMatchContract('GET /api/agents/runs', 200);
      expect((await runs.json()).runs, 'no run was recorded').toHaveLength(0);
    },
  );
});
