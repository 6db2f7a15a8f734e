# AWS's "Hello from Lambda!" Python function, as the Lambda console creates it.
import json


def lambda_handler(event, context):
    print("event:", json.dumps(event))
    return {
        'statusCode': 200,
        'body': json.dumps('Hello from Lambda!')
    }
