"""The seed's asyncio client example (../shared/seed/namespaces.md, "AsyncClientNamespace",
"Usage Example"), as written there.

``python -m tests.apps.async_seed_client`` runs the seed's code with ``socketio`` bound to greensio,
against the seed's ChatNamespace (``tests.apps.seed_server``) on localhost:5000, as the seed has it.
It waits in ``sio.wait()`` until Ctrl+C (SIGINT).
"""

from __future__ import annotations


def run(socketio):
    import asyncio

    # --- from the seed, unchanged ---------------------------------------------------------------
    class AsyncChatClientNamespace(socketio.AsyncClientNamespace):
        def __init__(self):
            super().__init__('/chat')
            self.message_queue = asyncio.Queue()
    
        async def on_connect(self):
            print('Connected to async chat namespace')
            await self.emit('set_username', {'username': 'Bob'})
    
        async def on_disconnect(self):
            print('Disconnected from async chat namespace')
    
        async def on_welcome(self, data):
            print(f'Welcome message: {data["message"]}')
    
        async def on_message(self, data):
            print(f'{data["username"]}: {data["message"]}')
            # Add to processing queue
            await self.message_queue.put(data)
    
        async def on_username_set(self, data):
            if data['success']:
                print('Username set successfully')
                await self.emit('join_room', {'room': 'general'})
    
        async def send_message(self, message, room='general'):
            await self.emit('chat_message', {
                'message': message,
                'room': room
            })
    
        async def process_messages(self):
            """Background task to process incoming messages"""
            while True:
                try:
                    message = await asyncio.wait_for(
                        self.message_queue.get(), timeout=1.0
                    )
                    # Process message asynchronously
                    await self.handle_message(message)
                except asyncio.TimeoutError:
                    continue
    
        async def handle_message(self, message):
            # Simulate async message processing
            await asyncio.sleep(0.1)
            print(f'Processed message from {message["username"]}')
    
    async def main():
        sio = socketio.AsyncClient()
        chat_ns = AsyncChatClientNamespace()
        sio.register_namespace(chat_ns)
    
        await sio.connect('http://localhost:5000')
    
        # Start message processing task
        process_task = asyncio.create_task(chat_ns.process_messages())
    
        # Send some messages
        await chat_ns.send_message('Hello async world!')
        await asyncio.sleep(1)
        await chat_ns.send_message('How is everyone?')
    
        # Wait for events
        await sio.wait()
    # Run the async client
    asyncio.run(main())
    # --- end of the seed's code -----------------------------------------------------------------


if __name__ == "__main__":
    import greensio

    try:
        run(greensio)
    except KeyboardInterrupt:
        print("stopped by Ctrl+C", flush=True)
