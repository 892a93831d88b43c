"""The seed's asyncio server-side examples (../shared/seed/namespaces.md), as written there.

``build(socketio)`` runs the seed's code with ``socketio`` bound to the package under test, and
returns the ASGI app. The seed's code uses ``time`` without importing it: imported here.
"""

from __future__ import annotations

import asyncio
import time


def build(socketio, **options):
    # --- from the seed, unchanged (but for the server's options) --------------------------------
    class AsyncChatNamespace(socketio.AsyncNamespace):
        def __init__(self):
            super().__init__('/chat')
            self.user_cache = {}

        async def on_connect(self, sid, environ):
            print(f'Client {sid} connected to async chat namespace')
            await self.enter_room(sid, 'lobby')
            await self.emit('welcome', {'message': 'Welcome!'}, room=sid)

        async def on_disconnect(self, sid):
            print(f'Client {sid} disconnected from async chat')
            # Clean up user cache
            if sid in self.user_cache:
                del self.user_cache[sid]

        async def on_join_room(self, sid, data):
            room = data['room']
            await self.enter_room(sid, room)
            await self.emit('status', {'message': f'Joined {room}'}, room=sid)
            await self.emit('user_joined', {'sid': sid}, room=room, skip_sid=sid)

        async def on_chat_message(self, sid, data):
            # Async session access
            async with self.session(sid) as session:
                username = session.get('username', 'Anonymous')

            # Simulate async processing (e.g., content filtering)
            await asyncio.sleep(0.01)

            room = data.get('room', 'lobby')
            message = {
                'username': username,
                'message': data['message'],
                'timestamp': time.time()
            }

            # Broadcast to room
            await self.emit('message', message, room=room)

        async def on_get_user_info(self, sid, data):
            # Simulate async database lookup
            user_id = data['user_id']
            user_info = await self.fetch_user_info(user_id)
            return {'user_info': user_info}

        async def fetch_user_info(self, user_id):
            # Simulate async database call
            await asyncio.sleep(0.1)
            return {'id': user_id, 'name': f'User {user_id}', 'status': 'online'}

    class AsyncGameNamespace(socketio.AsyncNamespace):
        def __init__(self):
            super().__init__('/game')
            self.games = {}
            self.game_lock = asyncio.Lock()

        async def on_connect(self, sid, environ):
            print(f'Player {sid} connected to async game namespace')

        async def on_create_game(self, sid, data):
            game_id = data['game_id']

            async with self.game_lock:
                self.games[game_id] = {
                    'players': [sid],
                    'status': 'waiting',
                    'created_at': time.time()
                }

            await self.enter_room(sid, game_id)
            await self.emit('game_created', {'game_id': game_id}, room=sid)

        async def on_join_game(self, sid, data):
            game_id = data['game_id']

            async with self.game_lock:
                if game_id in self.games:
                    self.games[game_id]['players'].append(sid)
                    await self.enter_room(sid, game_id)
                    await self.emit('player_joined', {'sid': sid}, room=game_id)

                    # Start game if enough players
                    if len(self.games[game_id]['players']) >= 2:
                        self.games[game_id]['status'] = 'playing'
                        await self.emit('game_started', room=game_id)

                        # Start game logic asynchronously
                        asyncio.create_task(self.run_game(game_id))

        async def run_game(self, game_id):
            # Simulate async game logic
            await asyncio.sleep(1)
            await self.emit('game_update', {'status': 'running'}, room=game_id)

    # Register namespaces with async server
    sio = socketio.AsyncServer(**options)
    sio.register_namespace(AsyncChatNamespace())
    sio.register_namespace(AsyncGameNamespace())
    # --- end of the seed's code -----------------------------------------------------------------
    return socketio.ASGIApp(sio)
