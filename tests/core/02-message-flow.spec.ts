import { randomUUID } from 'node:crypto';
import { test, expect, type Message, type Thread } from '../../fixtures';
import { catalog, category } from '../catalog';
import { lastFrame } from '../../fixtures/client/frames';
import { uniqueRequest } from '../../fixtures/client/unique';
import { shapes } from '../../fixtures/shapes';

const { title, details } = category('core-02');

test.describe(title, details, () => {
  test(
    '2.1 test_message_endpoints',
    catalog({
      checks: 'POST messages: {message:""}, {}, unknown thread, U2\'s thread → 422; 422; 404 "Thread not found"; 403 "Access denied"',
      catches: 'message ACL',
    }),
    async ({ users, user, api }) => {
      const thread = await user.createThread();
      await expect(await api.post(`/api/threads/${thread.id}/messages`, { data: { message: '' } }), 'empty message').toBeContractError(422);
      await expect(await api.post(`/api/threads/${thread.id}/messages`, { data: {} }), 'no message field').toBeContractError(422);
      await expect(
        await api.post(`/api/threads/${randomUUID()}/messages`, { data: { message: 'to nowhere' } }),
        'unknown thread',
      ).toBeContractError(404, 'Thread not found');

      const other = await users.create();
      const foreign = await other.createThread();
      await expect(
        await api.post(`/api/threads/${foreign.id}/messages`, { data: { message: `intrusion ${randomUUID()}` } }),
        "another user's thread",
      ).toBeContractError(403, 'Access denied');
      expect((await other.messages(foreign.id)).total, "the other user's thread got no message").toBe(0);
      expect((await user.messages(thread.id)).total, 'the rejected messages were not stored').toBe(0);
    },
  );

  test(
    '2.2 test_real_message_api_endpoints',
    catalog({
      checks: 'message with metadata; list → id, thread_id, role user, content, ISO created_at, metadata; listed',
      catches: 'schema drift',
    }),
    async ({ user, api }) => {
      const thread = await user.createThread();
      const content = `message with metadata ${randomUUID()}`;
      const metadata = { source: 'core-2.2', marker: randomUUID(), nested: { tags: ['a', 'b'] } };
      const posted = await api.post(`/api/threads/${thread.id}/messages`, { data: { message: content, metadata } });
      expect(posted.status()).toBe(200);
      const message = (await posted.json()) as Message;
      expect(message).toMatchObject({ ...shapes.message(thread.id, 'user'), content, metadata });
      const listed = await user.messages(thread.id);
      expect(listed.thread_id).toBe(thread.id);
      expect(listed.messages, 'the listed message equals the posted one').toEqual([message]);
    },
  );

  test(
    '2.3 test_real_websocket_message_flow',
    catalog({
      checks:
        "user_message flat; payload.content; message+text; chat+message; with thread_id T → task_description = each text; last run's thread_id = T",
      catches: 'alias regressions',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const forms = [
        { label: 'user_message with flat content', options: {} },
        { label: 'user_message with payload.content', options: { payload: true } },
        { label: 'message with text', options: { type: 'message', field: 'text' } },
        { label: 'chat with message', options: { type: 'chat', field: 'message' } },
      ] as const;
      for (const form of forms) {
        const text = uniqueRequest(`Summarise this week's requests (${form.label})`);
        const run = await socket.say(text, form.options);
        expect(await run.started(), form.label).toMatchObject({
          type: 'agent_started',
          task_description: text,
          agent_name: 'supervisor',
          user_id: user.id,
        });
        expect(lastFrame(await run.finished()), form.label).toMatchObject({ type: 'agent_completed', status: 'completed' });
      }

      const thread = await user.createThread();
      const text = uniqueRequest('Summarise this week in the given thread');
      const run = await socket.say(text, { threadId: thread.id });
      expect(await run.started()).toMatchObject({ task_description: text, thread_id: thread.id });
      const frames = await run.finished();
      expect(new Set(frames.map((f) => f.thread_id)), 'every event of the run carries the given thread_id').toEqual(new Set([thread.id]));
    },
  );

  test(
    '2.4 test_real_thread_management',
    catalog({ checks: 'create → list → PUT → GET → DELETE → GET → consistent Thread each step; final 404', catches: 'CRUD' }),
    async ({ user, api }) => {
      const marker = randomUUID();
      const created = await api.post('/api/threads', { data: { title: 'core 2.4 thread', metadata: { k: marker } } });
      expect(created.status()).toBe(200);
      const thread = (await created.json()) as Thread;
      expect(thread).toMatchObject({
        ...shapes.thread(user.id),
        title: 'core 2.4 thread',
        message_count: 0,
        metadata: { k: marker, user_id: user.id },
      });

      const list = await api.get('/api/threads');
      expect(list.status()).toBe(200);
      expect((await list.json()) as Thread[], 'the list holds the new thread as created').toContainEqual(thread);

      const renamed = await api.put(`/api/threads/${thread.id}`, { data: { title: 'core 2.4 renamed', metadata: { k: `${marker}-2` } } });
      expect(renamed.status()).toBe(200);
      const updated = (await renamed.json()) as Thread;
      expect(updated).toMatchObject({
        ...shapes.thread(user.id),
        id: thread.id,
        title: 'core 2.4 renamed',
        created_at: thread.created_at,
        message_count: 0,
        metadata: { k: `${marker}-2`, user_id: user.id },
      });
      expect(Date.parse(updated.updated_at), 'updated_at >= created_at').toBeGreaterThanOrEqual(Date.parse(updated.created_at));

      const fetched = await api.get(`/api/threads/${thread.id}`);
      expect(fetched.status()).toBe(200);
      expect(await fetched.json(), 'GET shows the PUT result').toEqual(updated);

      const archived = await api.delete(`/api/threads/${thread.id}`);
      expect(archived.status()).toBe(200);
      expect(await archived.json()).toEqual({ status: 'archived' });
      await expect(await api.get(`/api/threads/${thread.id}`), 'GET after DELETE').toBeContractError(404, 'Thread not found');
      expect(
        ((await (await api.get('/api/threads')).json()) as Thread[]).map((t) => t.id),
        'the archived thread left the list',
      ).not.toContain(thread.id);
    },
  );

  test(
    '2.5 test_real_error_handling_flow',
    catalog({
      checks: 'not json; [1,2]; empty user_message → ERR(JSON_PARSE_ERROR) × 2, socket pongs; ERR(INVALID_MESSAGE); quiet',
      catches: 'parse kills socket',
    }),
    async ({ sockets, user, api }) => {
      const socket = await sockets.open(user);
      expect(await socket.sendExpectingError('this is not json {'), 'text that is not JSON').toBeErrorFrame('JSON_PARSE_ERROR');
      expect(await socket.sendExpectingError('[1,2]'), 'JSON that is not an object').toBeErrorFrame('JSON_PARSE_ERROR');
      await expect(socket, 'the socket survives malformed frames').toAnswerPing();
      expect(await socket.sendExpectingError({ type: 'user_message', content: '' }), 'empty user_message').toBeErrorFrame(
        'INVALID_MESSAGE',
      );
      await expect(socket, 'no run starts for the empty message').toStayQuiet();
      expect((await (await api.get('/api/agents/runs')).json()).runs, 'no run was recorded').toEqual([]);
    },
  );
});
