"""The seed's server-side examples (../shared/seed/namespaces.md), as written there.

``build(socketio)`` runs the seed's code with ``socketio`` bound to the package under test.
"""

from __future__ import annotations

import time


def build(socketio, **options):
    # --- from the seed, unchanged ---------------------------------------------------------------
    class ChatNamespace(socketio.Namespace):
        def on_connect(self, sid, environ):
            print(f'Client {sid} connected to chat namespace')
            self.enter_room(sid, 'lobby')
            self.emit('welcome', {'message': 'Welcome to chat!'}, room=sid)

        def on_disconnect(self, sid):
            print(f'Client {sid} disconnected from chat')

        def on_join_room(self, sid, data):
            room = data['room']
            self.enter_room(sid, room)
            self.emit('status', {'message': f'Joined {room}'}, room=sid)
            self.emit('user_joined', {'sid': sid}, room=room, skip_sid=sid)

        def on_leave_room(self, sid, data):
            room = data['room']
            self.leave_room(sid, room)
            self.emit('user_left', {'sid': sid}, room=room)

        def on_chat_message(self, sid, data):
            # Get user info from session
            with self.session(sid) as session:
                username = session.get('username', 'Anonymous')

            room = data.get('room', 'lobby')
            message = {
                'username': username,
                'message': data['message'],
                'timestamp': time.time()
            }

            # Broadcast to room
            self.emit('message', message, room=room)

        def on_set_username(self, sid, data):
            with self.session(sid) as session:
                session['username'] = data['username']

            self.emit('username_set', {'success': True}, room=sid)

    class GameNamespace(socketio.Namespace):
        def __init__(self):
            super().__init__('/game')
            self.games = {}

        def on_connect(self, sid, environ):
            print(f'Player {sid} connected to game namespace')

        def on_create_game(self, sid, data):
            game_id = data['game_id']
            self.games[game_id] = {'players': [sid], 'status': 'waiting'}
            self.enter_room(sid, game_id)
            self.emit('game_created', {'game_id': game_id}, room=sid)

        def on_join_game(self, sid, data):
            game_id = data['game_id']
            if game_id in self.games:
                self.games[game_id]['players'].append(sid)
                self.enter_room(sid, game_id)
                self.emit('player_joined', {'sid': sid}, room=game_id)

                # Start game if enough players
                if len(self.games[game_id]['players']) >= 2:
                    self.games[game_id]['status'] = 'playing'
                    self.emit('game_started', room=game_id)

    # Register namespaces with server
    sio = socketio.Server(**options)
    sio.register_namespace(ChatNamespace('/chat'))
    sio.register_namespace(GameNamespace())
    # --- end of the seed's code -----------------------------------------------------------------
    seed_join_room = ChatNamespace.on_join_room

    def on_join_room(self, sid, data):
        # Not the seed's: a line for the tests once the seed's client has sent its last packet
        # (join_room, from its username_set handler), so a Ctrl+C after it races nothing.
        seed_join_room(self, sid, data)
        print(f"joined {data['room']}", flush=True)

    ChatNamespace.on_join_room = on_join_room
    return socketio.WSGIApp(sio)
