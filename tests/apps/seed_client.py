"""The seed's client-side example (../shared/seed/namespaces.md, "ClientNamespace", "Usage
Example"), as written there.

``python -m tests.apps.seed_client`` runs the seed's code with ``socketio`` bound to greensio, against
the seed's ChatNamespace (``tests.apps.seed_server``) listening on localhost:5000, as the seed has it.
It blocks in ``sio.wait()`` until Ctrl+C (SIGINT), which the client handles by disconnecting.
"""

from __future__ import annotations


def main(socketio):
    # --- from the seed, unchanged ---------------------------------------------------------------
    class ChatClientNamespace(socketio.ClientNamespace):
        def __init__(self):
            super().__init__('/chat')
            self.username = None
    
        def on_connect(self):
            print('Connected to chat namespace')
            self.emit('set_username', {'username': 'Alice'})
    
        def on_disconnect(self):
            print('Disconnected from chat namespace')
    
        def on_welcome(self, data):
            print(f'Welcome message: {data["message"]}')
    
        def on_message(self, data):
            print(f'{data["username"]}: {data["message"]}')
    
        def on_username_set(self, data):
            if data['success']:
                print('Username set successfully')
                self.emit('join_room', {'room': 'general'})
    
        def send_message(self, message, room='general'):
            self.emit('chat_message', {
                'message': message,
                'room': room
            })

    # Use with client
    sio = socketio.Client()
    chat_ns = ChatClientNamespace()
    sio.register_namespace(chat_ns)

    sio.connect('http://localhost:5000')

    # Send messages through namespace
    chat_ns.send_message('Hello everyone!')

    sio.wait()
    # --- end of the seed's code -----------------------------------------------------------------


if __name__ == "__main__":
    import greensio

    try:
        main(greensio)
    except KeyboardInterrupt:
        print("stopped by Ctrl+C", flush=True)
